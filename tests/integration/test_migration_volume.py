"""100,000 messages in one session: the migration streams the log in batches (checkpoints
inside one file), keeps every message, quarantines the broken lines, and rolls back exactly.
Throughput is measured by benchmarks/bench_migration.py, not asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from flatfile_chat.migration import manifest
from flatfile_chat.migration.engine import MigrationOptions, Migrator
from flatfile_chat.migration.generators import generate


@pytest.mark.slow
def test_hundred_thousand_messages_migrate_and_roll_back(tmp_path: Path) -> None:
    base = tmp_path / "store"
    made = generate(
        "G1",
        base,
        users=1,
        sessions_per_user=1,
        messages_per_session=100_000,
        documents=False,
        vectors=False,
        traps=False,
        malformed_lines=2,
    )
    original = manifest.scan(base)
    report = Migrator(base, MigrationOptions(batch_size=5000)).apply()
    assert report.counts_after["messages"] == made.messages == 100_000
    assert sorted((q["path"], q["line"]) for q in report.quarantined) == sorted(
        made.malformed_lines
    )
    first = report.steps[0]
    assert first["step"] == "V2__id_field_names" and first["batches"] >= 20
    assert Migrator(base).verify()["ok"]
    assert Migrator(base).rollback()["byte_identical"]
    assert manifest.verify(base, original) == []
