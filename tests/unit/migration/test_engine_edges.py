"""Engine paths the scenario and engine tests did not reach (found as surviving mutants):
a rollback stopped right after its swap, empty folders left by a run, and the history's
per-step seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flatfile_chat import ManualClock
from flatfile_chat.migration import failpoints, history, manifest
from flatfile_chat.migration.engine import MigrationOptions, Migrator, _remove_empty_dirs
from flatfile_chat.migration.generators import generate


def _migrator(base: Path) -> Migrator:
    return Migrator(base, MigrationOptions(), clock=ManualClock("2026-01-01T09:00:00+00:00"))


class Stopped(Exception):
    """Stands in for the SIGKILL a failpoint sends in the crash tests (those run a child)."""


def test_a_rollback_stopped_after_its_swap_finishes_on_the_next_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "store"
    generate("G1", base)
    original = manifest.scan(base)
    _migrator(base).apply()

    def hit(name: str, n: int | str = "") -> None:
        if (name, n) == ("rollback", "swapped"):
            raise Stopped

    monkeypatch.setattr(failpoints, "hit", hit)
    with pytest.raises(Stopped):
        _migrator(base).rollback()
    work = _migrator(base).work
    assert manifest.verify(base, original) == []  # the swap happened: the store is the original
    assert (work / "rolled_back").is_dir()  # the migrated store, not yet removed
    done = _migrator(base).rollback()
    assert done["byte_identical"] is True
    assert not (work / "rolled_back").exists()
    assert manifest.verify(base, original) == []


def test_empty_folders_go_deepest_first_and_a_folder_with_a_file_stays(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "a" / "b" / "c").mkdir(parents=True)
    (root / "d").mkdir()
    (root / "d" / "keep.txt").write_text("x")
    (root / "e").mkdir()
    _remove_empty_dirs(root)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["d", "d/keep.txt"]
    (root / "d" / "keep.txt").unlink()
    _remove_empty_dirs(root)
    assert not root.exists()  # emptied by its children, the folder itself goes last
    _remove_empty_dirs(root)  # and a missing folder is fine


def test_each_history_line_keeps_its_steps_seconds_to_the_millisecond(tmp_path: Path) -> None:
    base = tmp_path / "store"
    generate("G0", base)
    _migrator(base).apply()
    lines = [json.loads(line) for line in (base / history.HISTORY).read_text().splitlines()]
    steps = [line for line in lines if line.get("kind", "migrate") == "migrate"]
    assert steps and len(steps) == len(history.read(base))
    for line in steps:
        assert isinstance(line["seconds"], float), line  # not rounded to whole seconds
        assert line["seconds"] == round(line["seconds"], 3) >= 0
