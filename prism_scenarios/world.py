"""The per-scenario world: its own store root, frozen clock, seeded ids, variables, managers.

Managers are built lazily by component factories, so a scenario that never touches the
knowledge base never pays for it, and action modules stay independent of each other.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flatfile_chat import FFStorageManager, IdSource, ManualClock
from flatfile_chat.config import FFConfigurationManagerConfigDTO, deep_merge, load_config

DEFAULT_START = "2026-01-01T09:00:00+00:00"
DEFAULT_SEED = 1
# Old-format stores a scenario generates and migrates (prism_scenarios.actions.migration) live
# in {store_root}/legacy/{name}, their migration work folders beside them: inside the store
# root, so the outside_root invariant covers everything the migration tool writes.
LEGACY_DIR = "legacy"

ComponentFactory = Callable[["World"], Any]
_FACTORIES: dict[str, ComponentFactory] = {}


def component_factory(name: str) -> Callable[[ComponentFactory], ComponentFactory]:
    """Register how a world builds manager ``name`` (memory_layer, tools ...)."""

    def decorate(fn: ComponentFactory) -> ComponentFactory:
        _FACTORIES[name] = fn
        return fn

    return decorate


def _world_defaults(store_root: Path, sandbox_root: Path, seed: int) -> dict[str, Any]:
    # A pinned anonymisation key (derived from the seed) keeps analytics pseudonyms, and so
    # whole runs, byte-identical; a real deployment gets a random or configured key.
    key = base64.b64encode(hashlib.sha256(f"prism-scenarios/{seed}".encode()).digest())
    return {
        "storage": {"base_path": str(store_root)},
        "analytics": {"privacy": {"anonymization_key": f"base64:{key.decode()}"}},
        # Tool sandboxes live inside the world, so nothing is written outside it.
        "tool_execution": {"sandbox": {"temp_root": str(sandbox_root)}},
    }


class World:
    def __init__(
        self,
        *,
        config: dict[str, Any] | None = None,
        start: str = DEFAULT_START,
        seed: int = DEFAULT_SEED,
        variables: dict[str, Any] | None = None,
        base_dir: Path | None = None,
        keep: bool = False,
    ) -> None:
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="prism-scenario-"))
        # Traversable (not listable) by others: sandboxed commands run as unprivileged uids
        # and must reach their work folders under sandbox/.
        self.base_dir.chmod(0o711)
        self.store_root = self.base_dir / "store"
        self.sandbox_root = self.base_dir / "sandbox"
        self.keep = keep
        self.clock = ManualClock(start)
        self.seed = seed
        self.ids = IdSource(seed)
        self.config: FFConfigurationManagerConfigDTO = load_config(
            preset="test",
            overrides=deep_merge(
                _world_defaults(self.store_root, self.sandbox_root, seed), config or {}
            ),
        )
        self.variables: dict[str, Any] = dict(variables or {})
        self.components_used: set[str] = set()
        # Legacy stores a migration brought to the current format: the store invariants
        # (jsonl, counters, isolation) check them like the main store (migrated_store_issues).
        self.migrated_stores: set[Path] = set()
        # Symlinks the scenario planted (files.symlink), relative to the store root: the
        # store reports them (unsafe_link) as it must, which is not an invariant breach.
        self.planted_links: set[str] = set()
        self._store: FFStorageManager | None = None
        self._managers: dict[str, Any] = {}
        self._audit: Any = None

    def reconfigure(self, overrides: dict[str, Any]) -> None:
        """Merge store config overrides (Gherkin's "Given the store is configured with:");
        only before anything built the store, which reads the config once."""
        if self._store is not None or self._managers:
            raise RuntimeError(
                "the store is already in use: configure it before the first step that touches it"
            )
        base = _world_defaults(self.store_root, self.sandbox_root, self.seed)
        self.config = load_config(preset="test", overrides=deep_merge(base, overrides))

    @property
    def store(self) -> FFStorageManager:
        if self._store is None:
            self._store = FFStorageManager(
                self.config, clock=self.clock, ids=self.ids, base_path=self.store_root
            )
        return self._store

    @property
    def audit(self) -> Any:
        """The store's audit log (``analytics/compliance/audit_logs.jsonl``), shared by every
        manager of this world."""
        if self._audit is None:
            from flatfile_chat.audit import AuditLog

            self._audit = AuditLog(self.store.ctx)
        return self._audit

    @property
    def has_store(self) -> bool:
        return self._store is not None

    def manager(self, name: str) -> Any:
        """The component manager ``name`` for this world, built on first use."""
        if name not in self._managers:
            factory = _FACTORIES.get(name)
            if factory is None:
                raise KeyError(
                    f"no component factory for {name!r} (known: {', '.join(sorted(_FACTORIES))})"
                )
            self._managers[name] = factory(self)
        return self._managers[name]

    def touch(self, *components: str) -> None:
        """Record that the running step exercised ``components`` besides its own."""
        self.components_used.update(components)

    @property
    def legacy_root(self) -> Path:
        return self.store_root / LEGACY_DIR

    def migrated_store_issues(self, written: list[str]) -> list[Any]:
        """Integrity issues of every migrated store, when the step wrote anything under the
        legacy area (a cut-over or a rollback renames whole trees, so the written paths do not
        name the files that changed: each such store is checked whole). Paths are relative to
        the store root, like the main store's issues."""
        if not self.migrated_stores:
            return []
        area = str(self.legacy_root) + os.sep
        if not any(p.startswith(area) for p in written):
            return []
        from flatfile_chat.store.integrity import IntegrityIssue

        issues: list[Any] = []
        for root in sorted(self.migrated_stores):
            if not root.is_dir():
                continue
            prefix = root.relative_to(self.store_root).as_posix()
            store = FFStorageManager(self.config, clock=self.clock, ids=self.ids, base_path=root)
            try:
                issues += [
                    IntegrityIssue(i.kind, f"{prefix}/{i.path}", i.detail, i.line)
                    for i in store.check_integrity()
                ]
            finally:
                store.close()
        return issues

    @functools.cached_property
    def allowed_write_roots(self) -> list[Path]:
        """Where a step may write: the store, the tool sandboxes, and the machine-wide uid
        lock folder of the sandbox (one pool per host, so two stores never share a uid)."""
        from flatfile_chat.tools.sandbox import UID_LOCK_DIR

        return [self.store_root, self.sandbox_root, UID_LOCK_DIR]

    async def restart(self) -> list[str]:
        """Simulate a process restart: close and drop every manager, the store object and the
        audit log, so later steps build fresh instances over the same root (same clock and
        ids). Anything a manager kept only in memory is gone. Returns the dropped names."""
        dropped = sorted(self._managers)
        await self._close_managers()
        self._managers.clear()
        if self._store is not None:
            self._store.close()
            self._store = None
        self._audit = None
        return dropped

    async def _close_managers(self) -> None:
        import inspect

        for manager in reversed(list(self._managers.values())):
            closer = getattr(manager, "aclose", None) or getattr(manager, "close", None)
            if callable(closer):
                outcome = closer()
                if inspect.isawaitable(outcome):
                    await outcome

    async def aclose(self) -> None:
        """Stop managers (background collectors ...), close the store, drop the temp dir."""
        await self._close_managers()
        if self._store is not None:
            self._store.close()
        if self._own_dir and not self.keep:
            shutil.rmtree(self.base_dir, ignore_errors=True)
