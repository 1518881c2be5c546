"""``flatfile-chat migrate`` exit codes and output, run in-process through ``main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flatfile_chat.cli import main
from flatfile_chat.migration.engine import Migrator
from flatfile_chat.migration.generators import generate


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_detect_plan_apply_verify_rollback(tmp_path: Path, capsys) -> None:
    base = tmp_path / "store"
    generate("G0", base)
    assert main(["migrate", "detect", str(base), "--json"]) == 0
    assert _json(capsys)["generation"] == "G0"
    assert main(["migrate", "plan", str(base), "--json"]) == 0
    assert _json(capsys)["writes_nothing"] is True
    assert main(["migrate", "apply", str(base), "--batch-size", "3"]) == 0
    out = capsys.readouterr().out
    assert "G0 -> current" in out and "messages" in out and "backup:" in out
    assert main(["migrate", "verify", str(base)]) == 0
    assert ": OK;" in capsys.readouterr().out
    assert main(["migrate", "validate", str(base), "--json"]) == 0
    assert _json(capsys)["applied"][0] == "V1__users_level"
    assert main(["migrate", "rollback", str(base), "--json"]) == 0
    assert _json(capsys)["byte_identical"] is True


def test_verify_fails_with_exit_1_naming_the_problem(tmp_path: Path, capsys) -> None:
    base = tmp_path / "store"
    generate("G2", base)
    Migrator(base).apply()
    session = next(base.glob("users/*/*/session.json"))
    record = json.loads(session.read_bytes())
    record["message_count"] += 3
    session.write_text(json.dumps(record))
    assert main(["migrate", "verify", str(base)]) == 1
    assert f"{session.parent.name}/session.json: message_count" in capsys.readouterr().out


def test_locked_store_exits_3(tmp_path: Path, capsys) -> None:
    base = tmp_path / "store"
    generate("G1", base)
    holder = Migrator(base)
    holder.lease.acquire()
    try:
        assert main(["migrate", "apply", str(base)]) == 3
        assert "a migration is running" in capsys.readouterr().err
    finally:
        holder.lease.release()


def test_bad_usage_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["migrate", "baseline", str(tmp_path / "missing"), "--generation", "G2"]) == 2
    assert main([]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["migrate", "apply", str(tmp_path), "--to", "G9"])
    assert exc.value.code == 2


def test_config_reports_unknown_keys_with_their_line(tmp_path: Path, capsys) -> None:
    old = tmp_path / "old.json"
    old.write_text('{\n  "storage_base_path": "./old",\n  "wat": 1\n}')
    assert main(["migrate", "config", str(old)]) == 0
    out = capsys.readouterr().out
    assert "base_path: ./old" in out and "# unknown: wat (line 3)" in out


def test_an_empty_store_says_there_is_nothing_to_migrate(tmp_path: Path, capsys) -> None:
    (tmp_path / "store").mkdir()
    assert main(["migrate", "apply", str(tmp_path / "store")]) == 0
    assert "holds nothing to migrate" in capsys.readouterr().out
