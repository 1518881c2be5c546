"""Shared fixtures: stores on real files per test, with a frozen clock and seeded ids.

Every test that needs a store gets it from ``make_store`` (one construction for the whole
suite: a fresh root under ``tmp_path``, ``IdSource(seed)``, the test's frozen ``clock``, the
``test`` preset) and the factory closes every store it made at teardown. ``store`` is
``make_store()``.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from flatfile_chat import (
    FFConfigurationManagerConfigDTO,
    FFStorageManager,
    IdSource,
    ManualClock,
    load_config,
)
from flatfile_chat.clock import Clock
from flatfile_chat.config.loader import deep_merge

SHARED = Path(__file__).resolve().parents[2] / "shared"
UPSTREAM = SHARED / "fixtures" / "upstream"
START = "2026-01-01T09:00:00+00:00"


class _Closeable(Protocol):
    def close(self) -> None: ...


class StoreFactory:
    """``make_store(**options) -> FFStorageManager``; see ``__call__``."""

    def __init__(self, tmp_path: Path, clock: ManualClock) -> None:
        self.tmp_path = tmp_path
        self.clock = clock
        self.made: list[FFStorageManager] = []
        self._closeables: list[_Closeable] = []
        self._roots = 0

    def __call__(
        self,
        *,
        root: Path | str | None = None,
        seed: int | None = 1,
        clock: Clock | None = None,
        preset: str = "test",
        durability: str | None = None,
        encryption: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        config: FFConfigurationManagerConfigDTO | None = None,
    ) -> FFStorageManager:
        """A store the factory closes at teardown.

        - ``root``: None gives a fresh folder (``tmp_path/root``, then ``root-2``, ...); pass
          another store's ``root`` to open the same files again (a second process would).
        - ``seed``: ``IdSource(seed)``, so ids repeat run to run; None for unseeded ids.
        - ``clock``: default the test's ``clock`` fixture (shared by every store of the test).
        - ``durability`` / ``encryption``: ``storage.durability`` and the whole
          ``storage.encryption`` section (see ``keys``), applied over ``overrides``, which
          is deep-merged over ``preset``. ``config`` instead: a ready DTO, used as is.
        """
        if config is None:
            merged = dict(overrides or {})
            storage: dict[str, Any] = {}
            if durability is not None:
                storage["durability"] = durability
            if encryption is not None:
                storage["encryption"] = dict(encryption)
            if storage:
                merged = deep_merge(merged, {"storage": storage})
            config = load_config(preset=preset, overrides=merged or None)
        elif overrides is not None or durability is not None or encryption is not None:
            raise TypeError("make_store: pass config, or preset/overrides/durability/encryption")
        store = FFStorageManager(
            config,
            clock=clock if clock is not None else self.clock,
            ids=IdSource(seed),
            base_path=Path(root) if root is not None else self.new_root(),
        )
        self.made.append(store)
        return store

    def new_root(self) -> Path:
        """A folder no store of this test used yet (not created)."""
        self._roots += 1
        return self.tmp_path / ("root" if self._roots == 1 else f"root-{self._roots}")

    @staticmethod
    def keys(keys: Mapping[str, bytes], active: str | None = None, **extra: Any) -> dict[str, Any]:
        """An enabled ``storage.encryption`` section for raw keys (``extra``: e.g. names_key)."""
        return {
            "enabled": True,
            "active_key_id": active or next(iter(keys)),
            "keys": {k: f"base64:{base64.b64encode(v).decode()}" for k, v in keys.items()},
            **extra,
        }

    def closing(self, thing: _Closeable) -> Any:
        """Close ``thing`` (a manager) at teardown, before the stores; returns it."""
        self._closeables.append(thing)
        return thing

    def close_all(self) -> None:
        errors: list[BaseException] = []
        for thing in [*reversed(self._closeables), *reversed(self.made)]:
            try:
                thing.close()
            except Exception as exc:  # close the rest, then report
                errors.append(exc)
        if errors:
            raise errors[0]
        # Nothing left running: a batch-durability store's group committer thread is gone.
        for store in self.made:
            committer = store.fs._committer
            assert committer is None or committer._thread is None, store.root


# The conftest of a recording project (the recording_project fixture).
OUTCOME_RECORDER = """\
import json
import pytest
from prism_scenarios.outcome import OUTCOME_KEY

pytest_plugins = ["prism_scenarios.pytest_plugin"]
SEEN = {}


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    if OUTCOME_KEY in item.stash:
        SEEN[item.nodeid] = item.stash[OUTCOME_KEY].to_dict()


def pytest_sessionfinish(session):
    (session.config.rootpath / "seen.json").write_text(json.dumps(SEEN))
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def make_store(tmp_path: Path, clock: ManualClock) -> Iterator[StoreFactory]:
    factory = StoreFactory(tmp_path, clock)
    yield factory
    factory.close_all()


@pytest.fixture
def store(make_store: StoreFactory) -> FFStorageManager:
    return make_store()


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


@pytest.fixture
def load_args():
    """The `load` command's arguments as its own parser makes them (no HTML, no progress line),
    so a test that calls the command in-process sees the defaults a user gets."""

    def make(*files: Path, report_dir: Path, workers: int | None = None, **extra: Any):
        from prism_scenarios.cli import build_parser

        argv = ["load", *map(str, files), "--report-dir", str(report_dir)]
        argv += ["--no-html", "--no-progress"]
        if workers is not None:
            argv += ["--workers", str(workers)]
        args = build_parser()[0].parse_args(argv)
        for name, value in extra.items():
            setattr(args, name, value)
        return args

    return make


@pytest.fixture
def recording_project(pytester: pytest.Pytester) -> Iterator[pytest.Pytester]:
    """An in-process pytest project that opts in to the plugin and writes each item's typed
    outcome record to seen.json when its session ends (OUTCOME_RECORDER)."""
    from prism_scenarios import settings

    settings.load.cache_clear()
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    pytester.makeconftest(OUTCOME_RECORDER)
    (pytester.path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    yield pytester
    settings.load.cache_clear()
