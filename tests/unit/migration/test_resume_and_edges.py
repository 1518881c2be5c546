"""A pass stopped at a batch boundary or inside a batch resumes from its checkpoint to the
same result as a run that was never stopped; plus small engine pieces no scenario reaches
(a backup written over an old one, the census summary, the plan's rate floor, which users
can own G1's orphan vectors). Found as surviving mutants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flatfile_chat import ManualClock
from flatfile_chat.migration import census, engine, failpoints, manifest
from flatfile_chat.migration.engine import MigrationOptions, Migrator
from flatfile_chat.migration.generators import generate
from flatfile_chat.migration.steps import Findings, _IdFieldNames


class Stopped(Exception):
    """Stands in for the SIGKILL a failpoint sends (the crash tests run a child for that)."""


def _migrator(base: Path) -> Migrator:
    return Migrator(
        base, MigrationOptions(batch_size=5), clock=ManualClock("2026-01-01T09:00:00+00:00")
    )


def _store(root: Path) -> Path:
    base = root / "store"
    generate(
        "G1", base, seed=3, users=2, sessions_per_user=2, messages_per_session=12, malformed_lines=6
    )
    return base


def _data(base: Path) -> dict[str, str]:
    """Every migrated file's sha256, the engine's own bookkeeping left out."""
    return {
        rel: digest
        for rel, digest in manifest.scan(base).files.items()
        if not rel.startswith(".ffmigrate/history")
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = _store(tmp_path_factory.mktemp("reference"))
    migrator = _migrator(base)
    report = migrator.apply()
    assert report.problems == []
    log = [json.loads(line) for line in (migrator.work / "log.jsonl").read_bytes().splitlines()]
    checkpoints = [  # (step version, batch, inside a message log?)
        (int(e["step"][1 : e["step"].index("__")]), e["batches"], e["in_offset"] > 0)
        for e in log
        if e["event"] == "checkpoint"
    ]
    return {"files": _data(base), "quarantined": report.quarantined, "checkpoints": checkpoints}


@pytest.mark.parametrize(
    ("kind", "first_pass"),
    [
        ("batch", True),  # the first pass, at a checkpoint inside a message log
        ("inbatch", True),  # half-way through the next batch: the .part log holds unsaved lines
        ("batch", False),  # the last pass (it copies message logs whole, between files)
    ],
)
def test_a_stopped_pass_resumes_to_the_same_store(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference: dict,
    kind: str,
    first_pass: bool,
) -> None:
    versions = sorted({v for v, _, _ in reference["checkpoints"]})
    version = versions[0] if first_pass else versions[-1]
    batch = [
        b for v, b, inside in reference["checkpoints"] if v == version and inside == first_pass
    ][
        1  # not the first one
    ]
    point = (kind, f"{version}.{batch + 1 if kind == 'inbatch' else batch}")
    base = _store(tmp_path)

    def hit(name: str, n: int | str = "") -> None:
        if (name, n) == point:
            raise Stopped

    monkeypatch.setattr(failpoints, "hit", hit)
    with pytest.raises(Stopped):
        _migrator(base).apply()
    state = _migrator(base).state()
    assert state is not None and state["phase"] == "migrate"
    assert (state["checkpoint"]["in_offset"] > 0) == first_pass  # inside a message log?
    monkeypatch.undo()

    recovered = _migrator(base).recover()
    assert recovered["action"] == "resumed"
    report = recovered["report"]
    assert report["problems"] == []
    assert report["quarantined"] == reference["quarantined"]  # same lines, same line numbers
    assert _data(base) == reference["files"]


def test_only_the_first_pass_checkpoints_a_quarantine_file(tmp_path: Path) -> None:
    base = _store(tmp_path)
    migrator = _migrator(base)
    migrator.apply()
    events = [json.loads(line) for line in (migrator.work / "log.jsonl").read_bytes().splitlines()]
    sizes: dict[str, set[int]] = {}
    for event in events:
        if event["event"] == "checkpoint":
            sizes.setdefault(event["step"], set()).add(event["quarantine_bytes"])
    first, *later = sizes  # steps in run order
    assert max(sizes[first]) > 0  # the malformed lines went there
    assert later and all(sizes[step] == {0} for step in later)


def test_a_backup_written_over_an_old_one_replaces_it(tmp_path: Path) -> None:
    source = tmp_path / "store"
    generate("G1", source, seed=1, users=1, sessions_per_user=1, messages_per_session=2)
    backup = tmp_path / "backup"
    (backup / "files").mkdir(parents=True)
    (backup / "files" / "stale.txt").write_text("from an older run")
    state = manifest.write_backup(source, backup, meta={"run_id": "r2"})
    assert not (backup / "files" / "stale.txt").exists()
    assert manifest.verify(backup / "files", state) == []


def test_the_census_counts_sessions_messages_and_bad_lines(tmp_path: Path) -> None:
    base = tmp_path / "store"
    store = generate(
        "G2", base, seed=1, users=1, sessions_per_user=2, messages_per_session=2, malformed_lines=1
    )
    taken = census.take(base)
    assert len(taken.sessions) == taken.counts["sessions"] == store.sessions
    assert taken.bad_lines == 1
    assert taken.counts["messages"] == store.messages


def test_the_plans_rate_never_drops_below_one_record_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "store"
    generate("G1", base, seed=1, users=1, sessions_per_user=1, messages_per_session=2)
    ticks = iter([0.0, 1000.0])  # a very slow machine: 1000 s for a handful of lines
    monkeypatch.setattr(engine.time, "perf_counter", lambda: next(ticks))
    assert engine._sample_rate(base) == 1.0


def test_the_default_folder_is_never_an_owner_of_orphan_vectors(tmp_path: Path) -> None:
    base = tmp_path / "store"
    generate("G1", base, seed=1, users=2, sessions_per_user=1, messages_per_session=2)
    sid = "chat_session_20250723_181606_979326"
    assert (base / "users" / "default" / "sessions" / sid / "vectors").is_dir()
    # a folder of that name beside users/default/sessions must not make "default" a claimant
    (base / "users" / "default" / sid).mkdir()
    owners = _IdFieldNames(base, {}, Findings()).owners
    assert owners[sid] == "markly"
