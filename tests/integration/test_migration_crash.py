"""SIGKILL a real ``flatfile-chat migrate apply`` at every batch boundary, inside batches and
in the middle of the cut-over; ``recover`` must then give the fully migrated store or, with
``--restore``, the original byte for byte."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flatfile_chat.migration import manifest
from flatfile_chat.migration.census import take
from flatfile_chat.migration.engine import MigrationOptions, Migrator
from flatfile_chat.migration.failpoints import ENV
from flatfile_chat.migration.generators import generate

BATCH = 12


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "store"
    generate("G1", root, users=2, sessions_per_user=2, messages_per_session=20, malformed_lines=2)
    return root


@pytest.fixture(scope="module")
def boundaries(template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every checkpoint a clean run makes, as failpoint names (``batch:<step>.<n>``)."""
    base = tmp_path_factory.mktemp("clean") / "store"
    shutil.copytree(template, base)
    Migrator(base, MigrationOptions(batch_size=BATCH)).apply()
    state = Migrator(base).state()
    assert state is not None
    points = [
        f"batch:{p['step'].split('__')[0][1:]}.{n}"
        for p in state["passes"]
        for n in range(1, p["batches"] + 1)
    ]
    assert len(points) >= 8, points  # the store is big enough to cross many boundaries
    return points


def _killed_apply(base: Path, failpoint: str) -> None:
    env = {**os.environ, ENV: failpoint}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "flatfile_chat.cli",
            "migrate",
            "apply",
            str(base),
            "--batch-size",
            str(BATCH),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, (failpoint, proc.returncode, proc.stderr)


def _copy(template: Path, tmp_path: Path) -> tuple[Path, manifest.TreeState]:
    base = tmp_path / "store"
    shutil.copytree(template, base)
    return base, manifest.scan(base)


def _assert_migrated(base: Path, template: Path) -> None:
    checked = Migrator(base).verify()
    assert checked["ok"], checked["problems"]
    assert checked["generation"] == "current"
    before = take(template)
    assert checked["counts"] == before.counts


def _crash_points(boundaries: list[str]) -> list[str]:
    inside = sorted({b.replace("batch:", "inbatch:") for b in boundaries})
    return ["phase:migrate", *boundaries, *inside, "cutover:moved"]


def test_every_crash_point_recovers_forward(
    template: Path, boundaries: list[str], tmp_path: Path
) -> None:
    for n, point in enumerate(_crash_points(boundaries)):
        base, _original = _copy(template, tmp_path / str(n))
        _killed_apply(base, point)
        result = Migrator(base, MigrationOptions(batch_size=BATCH)).recover()
        assert result["action"] == "resumed", (point, result)
        assert result["stale_lock"], point  # the killed run's lock was found and broken
        _assert_migrated(base, template)


def test_every_crash_point_restores_the_original(
    template: Path, boundaries: list[str], tmp_path: Path
) -> None:
    for n, point in enumerate(_crash_points(boundaries)):
        base, original = _copy(template, tmp_path / str(n))
        _killed_apply(base, point)
        result = Migrator(base).recover(restore=True)
        assert result["action"] == "restored", (point, result)
        assert manifest.verify(base, original) == [], point
        assert Migrator(base).detect().generation == "G1"


def test_a_killed_run_leaves_a_stale_lock_that_apply_reports(
    template: Path, boundaries: list[str], tmp_path: Path
) -> None:
    base, _original = _copy(template, tmp_path)
    _killed_apply(base, boundaries[1])
    proc = subprocess.run(
        [sys.executable, "-m", "flatfile_chat.cli", "migrate", "apply", str(base)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert "stale migration lock" in proc.stderr and "migrate recover" in proc.stderr


def test_a_rollback_killed_after_its_swap_is_finished_by_recover(
    template: Path, tmp_path: Path
) -> None:
    base, original = _copy(template, tmp_path)
    Migrator(base, MigrationOptions(batch_size=BATCH)).apply()
    env = {**os.environ, ENV: "rollback:swapped"}
    proc = subprocess.run(
        [sys.executable, "-m", "flatfile_chat.cli", "migrate", "rollback", str(base)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    result = Migrator(base).recover()
    assert result["action"] == "rolled_back" and result["byte_identical"], result
    assert manifest.verify(base, original) == []
    assert Migrator(base).state()["phase"] == "rolled_back"
