"""Exact refusals and results of the storage layer: a bad message field names the message,
a names_key without encryption names its setting, a healthy file's repair report names the
file, and stored JSON is strict JSON (any parser reads it back)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from flatfile_chat.config.storage import FFEncryptionConfigDTO
from flatfile_chat.errors import ConfigError, ValidationError
from flatfile_chat.storage.atomic import dump_json
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.keyring import user_names_from_config


def test_a_message_with_a_wrong_field_type_is_refused_as_an_invalid_message(make_store) -> None:
    store = make_store()
    store.users.create("alice", {"username": "Alice"})
    store.sessions.create("alice", "Work", session_id="work")
    with pytest.raises(ValidationError) as caught:
        store.messages.add("alice", "work", {"role": "user", "content": 123})
    assert str(caught.value).startswith("invalid message: content: ")
    assert caught.value.key == "content"


def test_names_key_without_encryption_is_refused_naming_the_setting() -> None:
    config = FFEncryptionConfigDTO(enabled=False, names_key="base64:" + "A" * 24)
    with pytest.raises(ConfigError) as caught:
        user_names_from_config(config)
    assert caught.value.key == "storage.encryption.names_key"
    assert "needs storage.encryption.enabled" in str(caught.value)


def test_repairing_a_healthy_file_reports_that_file_and_moves_nothing(tmp_path: Path) -> None:
    fs = FileStore(tmp_path, durability="none")
    path = fs.path("users", "u", "s1", "messages.jsonl")
    fs.ensure_dir(path.parent)
    fs.append_jsonl(path, [{"i": 0}, {"i": 1}])
    report = fs.repair_jsonl(path)
    assert (report.path, report.kept, report.moved, report.rejected_file) == (str(path), 2, 0, None)


def test_stored_json_is_strict_json_that_any_parser_reads_back() -> None:
    data = {"small": 1e-05, "inf": float("inf"), "text": "é"}
    raw = dump_json(data)
    assert orjson.loads(raw) == {"small": 1e-05, "inf": None, "text": "é"}
    assert json.loads(raw) == orjson.loads(raw)
