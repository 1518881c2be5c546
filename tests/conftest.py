"""Shared fixtures: a fresh store on real files per test, with a frozen clock and seeded ids."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config

SHARED = Path(__file__).resolve().parents[2] / "shared"
UPSTREAM = SHARED / "fixtures" / "upstream"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock("2026-01-01T09:00:00+00:00")


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> FFStorageManager:
    root = tmp_path / "root"
    manager = FFStorageManager(
        load_config(preset="test"), clock=clock, ids=IdSource(1), base_path=root
    )
    yield manager
    manager.close()


@pytest.fixture
def upstream_copy(tmp_path: Path):
    """Copy a real upstream fixture from ../shared into tmp_path, or skip saying why."""

    def copy(name: str) -> Path:
        source = UPSTREAM / name
        if not source.is_dir():
            pytest.skip(
                f"upstream fixture {name} not available: {UPSTREAM} is absent (a fresh "
                "clone has no ../shared workspace)"
            )
        target = tmp_path / name
        shutil.copytree(source, target)
        return target

    return copy


pytest_plugins = ["pytester"]


@pytest.fixture
def sandbox_root() -> Iterator[Path]:
    """Under /tmp with o+x, so an unprivileged sandbox uid (and bwrap) can reach its work
    folder (a pytest tmp_path is not reachable by another uid)."""
    path = Path(tempfile.mkdtemp(prefix="ffsbx-test-", dir="/tmp"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)
