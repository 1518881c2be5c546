"""Refusals carry what they are about as attributes, not only in their message: the config
file a too-deep JSON document came from, the message log and generation of an old-format
line, the non-string session id a creation was given."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flatfile_chat.config.loader import load_config
from flatfile_chat.errors import ConfigError, OldStoreFormat, ValidationError
from flatfile_chat.store.manager import FFStorageManager
from flatfile_chat.store.old_format import check_message_line


def test_json_nested_too_deeply_names_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.json"
    path.write_text("[" * 100_000)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message == f"{path}: JSON nested too deeply"
    assert caught.value.path == str(path)


def test_an_old_format_message_line_names_its_log_line_and_generation(tmp_path: Path) -> None:
    log = tmp_path / "messages.jsonl"
    log.write_text('{"message_id": "m1"}\n{"id": "m2", "role": "user"}\n')
    with pytest.raises(OldStoreFormat) as caught:
        check_message_line(log, 2, tmp_path)
    assert caught.value.path == str(log)
    assert caught.value.line == 2
    assert caught.value.generation == "G1"
    assert caught.value.message.startswith(
        f"{log}:2: message in the G0/G1 format ('id' instead of 'message_id'); "
    )


def test_a_session_id_that_is_a_list_is_refused_as_not_a_string(
    store: FFStorageManager,
) -> None:
    asyncio.run(store.create_user("u"))
    with pytest.raises(ValidationError) as caught:
        asyncio.run(store.create_session("u", "t", session_id=["s"]))  # type: ignore[arg-type]
    assert caught.value.message == "session_id must be a string, got list"
    assert caught.value.key == "session_id"
    assert caught.value.value == ["s"]
