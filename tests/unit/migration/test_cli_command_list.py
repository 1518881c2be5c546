"""``flatfile-chat migrate --help`` lists every command with the sentence that says what it
does (the overview people read before they pick one)."""

from __future__ import annotations

import pytest

from flatfile_chat.cli import main

COMMANDS = """\
  COMMAND
    detect    say which generation (G0-G3, current) a store is, with evidence
    plan      dry run: files, records, bytes, time; writes nothing
    apply     back up, migrate in batches, verify, cut over
    status    the run in progress or last run, the lock and the history
    verify    check a migrated store: records, counters, history, read-back
    validate  check the history's checksums against this code's steps
    baseline  adopt a store at a generation without changing it
    rollback  restore the store the last apply found, byte for byte
    recover   after a crash: resume the run, or --restore the original
    unlock    remove a stale lock (refuses while its owner is alive)
    config    convert an old config file or preset to the current format
"""


def test_migrate_help_lists_each_command_with_what_it_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # argparse wraps to the terminal: fix its width
    with pytest.raises(SystemExit) as exc:
        main(["migrate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: flatfile-chat migrate [-h] COMMAND ...\n")
    assert "\npositional arguments:\n" + COMMANDS + "\n" in out
