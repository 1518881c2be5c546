"""The store's migration history (``.ffmigrate/history.jsonl``), Flyway-style.

One line per applied step with the step's checksum. ``validate`` refuses a store whose history
names a step this code does not have, or whose checksum differs from the code's: an applied
migration must never change. ``baseline`` adopts a store that is already at a generation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from flatfile_chat.errors import FFError, StorageCorrupted
from flatfile_chat.migration.records import MIGRATION_DIR, dump_line

HISTORY = f"{MIGRATION_DIR}/history.jsonl"


class HistoryMismatch(FFError):
    """The history disagrees with the steps in this code (changed, missing or unknown step)."""


@dataclass(frozen=True)
class Applied:
    version: int
    name: str
    source: str
    target: str
    checksum: str
    applied_at: str
    kind: str = "migrate"  # migrate | baseline
    records: int = 0
    quarantined: int = 0
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"V{self.version}__{self.name}"

    def to_line(self) -> bytes:
        return dump_line(asdict(self))


def read(base: Path) -> list[Applied]:
    path = Path(base) / HISTORY
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Applied(**json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise StorageCorrupted(f"not a history entry: {exc}", path=path, line=n) from exc
    return out


def validate(base: Path) -> list[str]:
    """Problems with the history of ``base`` against this code's steps (empty when sound)."""
    from flatfile_chat.migration.steps import STEPS

    by_version = {step.version: step for step in STEPS}
    problems = []
    path = Path(base) / HISTORY
    applied = read(base)
    for entry in applied:
        step = by_version.get(entry.version)
        if step is None:
            problems.append(
                f"{path}: {entry.label} was applied but this version of "
                "flatfile-chat has no such step"
            )
        elif entry.kind == "migrate" and entry.checksum != step.checksum():
            problems.append(
                f"{path}: {entry.label} changed since it was applied: checksum "
                f"in history {entry.checksum}, in code {step.checksum()}"
            )
    versions = [entry.version for entry in applied]
    if versions and versions != list(range(versions[0], versions[-1] + 1)):
        problems.append(f"{path}: steps applied out of order or with a gap: {versions}")
    if applied and applied[0].kind != "baseline" and applied[0].version != 1:
        problems.append(
            f"{path}: history starts at {applied[0].label} with no baseline "
            f"before it (step V{applied[0].version - 1} is missing)"
        )
    return problems


def check(base: Path) -> None:
    problems = validate(base)
    if problems:
        raise HistoryMismatch(
            "migration history does not match this code:\n  " + "\n  ".join(problems),
            path=str(Path(base) / HISTORY),
        )


def with_entry(base: Path, entry: Applied) -> bytes:
    path = Path(base) / HISTORY
    previous = path.read_bytes() if path.is_file() else b""
    return previous + entry.to_line()


def without_version(base: Path, version: int) -> bytes:
    return b"".join(entry.to_line() for entry in read(base) if entry.version != version)
