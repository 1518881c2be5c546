"""The write audit's bookkeeping exactly (prism_scenarios.write_audit): outside() and how it
shows a path, recorded reads, nested and paused recorders, relative paths made absolute."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prism_scenarios import write_audit


def test_outside_skips_caches_and_devnull_and_sorts(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    paths = [
        str(tmp_path / "z.txt"),
        str(tmp_path / "__pycache__" / "m.pyc"),
        os.devnull,
        str(root / "in.txt"),
        str(root),  # the root itself
        str(tmp_path / "a.txt"),
        str(tmp_path / "a.txt"),  # twice, shown once
        str(tmp_path / "rootless.txt"),  # shares the root's name as a prefix only
    ]
    assert write_audit.outside(paths, [str(root)]) == [
        str(tmp_path / "a.txt"),
        str(tmp_path / "rootless.txt"),
        str(tmp_path / "z.txt"),
    ]
    assert write_audit.outside(paths, []) == sorted(
        {str(tmp_path / n) for n in ("z.txt", "a.txt", "rootless.txt")}
        | {str(root / "in.txt"), str(root)}
    )


def test_outside_shows_where_a_symlink_took_the_path(tmp_path: Path) -> None:
    root = tmp_path / "root"
    elsewhere = tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "link").symlink_to(elsewhere)
    (tmp_path / "alias").symlink_to(root)
    escaped = str(root / "link" / "f.txt")
    assert write_audit.outside([escaped, str(tmp_path / "alias" / "ok.txt")], [str(root)]) == [
        f"{escaped} -> {elsewhere / 'f.txt'}"
    ]
    # a root given through a symlink is resolved too
    assert write_audit.outside([str(root / "x")], [str(tmp_path / "alias")]) == []


def test_reads_are_recorded_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("x")
    (tmp_path / "d").mkdir()
    reads: list[str] = []
    with write_audit.Recorder(reads=reads) as written:
        target.read_text()
        os.listdir(tmp_path / "d")
        (tmp_path / "w.txt").write_text("y")
    assert str(target) in reads and str(tmp_path / "d") in reads
    assert str(tmp_path / "w.txt") not in reads
    assert written == [str(tmp_path / "w.txt")]
    with write_audit.Recorder() as written:
        target.read_text()
    assert written == []


def test_a_nested_recorder_inherits_the_outer_reads(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("x")
    reads: list[str] = []
    with write_audit.Recorder(reads=reads) as outer:
        with write_audit.Recorder() as inner:
            target.read_text()
            (tmp_path / "inner.txt").write_text("i")
        (tmp_path / "outer.txt").write_text("o")
    assert str(target) in reads
    assert inner == [str(tmp_path / "inner.txt")]
    assert outer == [str(tmp_path / "outer.txt")]
    assert write_audit._active == []


def test_relative_paths_are_made_absolute_against_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_text("x")
    reads: list[str] = []
    with write_audit.Recorder(reads=reads) as written:
        Path("sub").mkdir()
        Path("sub/../w.txt").write_text("y")
        Path("r.txt").read_text()
    assert written == [str(tmp_path / "sub"), str(tmp_path / "w.txt")]
    assert str(tmp_path / "r.txt") in reads
    assert all(os.path.isabs(p) for p in reads)


def test_paused_records_nothing_and_resumes(tmp_path: Path) -> None:
    with write_audit.Recorder() as written:
        with write_audit.paused():
            (tmp_path / "setup.txt").write_text("the test's own doing")
        (tmp_path / "step.txt").write_text("the step's")
    assert written == [str(tmp_path / "step.txt")]


def test_install_adds_the_hook_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    added: list[object] = []
    monkeypatch.setattr(sys, "addaudithook", added.append)
    monkeypatch.setattr(write_audit, "_installed", False)
    write_audit.install()
    write_audit.install()
    assert added == [write_audit._hook]
    assert write_audit._installed is True
