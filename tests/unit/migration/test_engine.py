"""The migration engine on generated old stores: detect, plan, apply, rollback, stairway,
idempotency, quarantine, history, locks, timeout, disaster recovery."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from flatfile_chat import ManualClock
from flatfile_chat.errors import OldStoreFormat
from flatfile_chat.migration import history, manifest
from flatfile_chat.migration.engine import MigrationError, MigrationOptions, Migrator
from flatfile_chat.migration.generators import generate
from flatfile_chat.migration.lease import MigrationLocked
from flatfile_chat.migration.passes import MigrationTimeout
from flatfile_chat.migration.steps import GENERATIONS, STEPS

OLD = ("G0", "G1", "G2", "G3")


def _digest(root: Path) -> dict[str, str]:
    return manifest.scan(root).files


def _data_digest(root: Path) -> dict[str, str]:
    """Every file but the history, whose lines carry each run's duration."""
    return {k: v for k, v in _digest(root).items() if k != history.HISTORY}


def _applied(root: Path) -> list[tuple[int, str, str]]:
    return [(e.version, e.name, e.checksum) for e in history.read(root)]


def _migrator(base: Path, **options) -> Migrator:
    return Migrator(
        base, MigrationOptions(**options), clock=ManualClock("2026-01-01T09:00:00+00:00")
    )


@pytest.fixture
def old_store(tmp_path: Path):
    def make(generation: str, **kwargs) -> Path:
        root = tmp_path / f"store_{generation}"
        generate(generation, root, **kwargs)
        return root

    return make


@pytest.mark.parametrize("generation", OLD)
def test_detects_each_generation(old_store, generation: str) -> None:
    found = _migrator(old_store(generation)).detect()
    assert found.generation == generation, found.evidence
    assert found.evidence


def test_detects_empty_and_migrated(tmp_path: Path, old_store) -> None:
    (tmp_path / "empty").mkdir()
    assert _migrator(tmp_path / "empty").detect().generation == "empty"
    base = old_store("G1")
    _migrator(base).apply()
    found = _migrator(base).detect()
    assert found.generation == "current"
    assert "history.jsonl" in found.evidence[0]


def test_plan_writes_nothing(old_store) -> None:
    base = old_store("G0", malformed_lines=2)
    before = _digest(base)
    siblings = sorted(os.listdir(base.parent))
    plan = _migrator(base).plan()
    assert _digest(base) == before
    assert sorted(os.listdir(base.parent)) == siblings  # not even a work folder
    assert [s["step"] for s in plan["steps"]] == [s.label() for s in STEPS]
    assert plan["counts"]["messages"] > 0 and plan["malformed_lines"] == 2
    assert plan["files"] == len(before) and plan["bytes"] > 0
    assert plan["estimated_seconds"] > 0


@pytest.mark.parametrize("generation", OLD)
def test_apply_keeps_everything_and_rollback_restores_bytes(old_store, generation: str) -> None:
    base = old_store(generation)
    original = manifest.scan(base)
    report = _migrator(base, batch_size=7).apply()
    assert report.source_generation == generation and report.target_generation == "current"
    assert report.counts_before == report.counts_after
    assert report.counts_before["messages"] > 0 and not report.problems
    assert report.batches > 1  # batch_size 7 really splits the work
    checked = _migrator(base).verify()
    assert checked["ok"], checked["problems"]
    assert checked["read_back"]["messages"] == report.counts_before["messages"]
    assert checked["read_back"]["sessions"] == report.counts_before["sessions"]
    assert _migrator(base).rollback()["byte_identical"] is True
    assert manifest.verify(base, original) == []


def test_current_store_reads_migrated_g0_completely(make_store, old_store) -> None:
    base = old_store("G0", users=2, sessions_per_user=2, messages_per_session=3)
    with pytest.raises(OldStoreFormat, match="G0 store"):
        make_store(root=base)
    _migrator(base).apply()
    import asyncio

    store = make_store(root=base)
    users = asyncio.run(store.list_users())
    assert len(users) == 2
    for user in users:
        for session in asyncio.run(store.list_sessions(user)):
            messages = asyncio.run(store.get_messages(user, session.session_id))
            assert session.message_count == len(messages) > 0  # G0 said 0: recounted
            assert session.session_type == "chat"
    assert store.check_integrity() == []


STAIRS = [("G0", step) for step in STEPS] + [("G1", step) for step in STEPS[1:]]


@pytest.mark.parametrize(("origin", "step"), STAIRS, ids=[f"{o}-{s.label()}" for o, s in STAIRS])
def test_stairway_up_down_up(tmp_path: Path, origin: str, step) -> None:
    """For each step: up, down (back to the same bytes), up again (the same bytes again).
    From G1 too: its orphan vectors, duplicate chunks and session-less folders."""
    base = tmp_path / "store"
    generate(origin, base, traps=True)
    start = GENERATIONS[STEPS.index(step)]
    if start != "G0":
        _migrator(base).apply(to=start)
    below, below_history = _data_digest(base), _applied(base)
    _migrator(base).apply(to=step.target)
    above, above_history = _data_digest(base), _applied(base)
    assert above != below
    assert above_history[-1][:2] == (step.version, step.name)
    _migrator(base).apply(to=start)
    assert _data_digest(base) == below
    assert [a for a in _applied(base) if a[1] != "baseline"] == [
        a for a in below_history if a[1] != "baseline"
    ]
    _migrator(base).apply(to=step.target)
    assert _data_digest(base) == above
    assert _applied(base) == above_history


def test_second_apply_is_a_noop(old_store) -> None:
    base = old_store("G2")
    _migrator(base).apply()
    after = _digest(base)
    work = sorted(os.listdir(base.parent / f".{base.name}.ffmigrate"))
    report = _migrator(base).apply()
    assert report.noop and report.direction == "none"
    assert _digest(base) == after
    assert sorted(os.listdir(base.parent / f".{base.name}.ffmigrate")) == work


def test_malformed_lines_go_to_quarantine_with_file_and_line(tmp_path: Path) -> None:
    base = tmp_path / "store"
    generated = generate("G1", base, malformed_lines=3)
    assert len(generated.malformed_lines) == 3
    report = _migrator(base).apply()
    assert sorted((q["path"], q["line"]) for q in report.quarantined) == sorted(
        generated.malformed_lines
    )
    kept = (base / ".ffmigrate/quarantine/lines.jsonl").read_bytes().splitlines()
    assert len(kept) == 3 and all(json.loads(line)["raw"] for line in kept)
    assert report.counts_after["messages"] == report.counts_before["messages"]
    assert _migrator(base).verify()["ok"]


def test_preserve_original_keeps_source_bytes_aside(old_store) -> None:
    base = old_store("G1")
    original = manifest.scan(base)
    report = _migrator(base, preserve_original_data=True).apply()
    assert report.preserved_original
    assert manifest.verify(Path(report.preserved_original), original) == []


def test_without_preserve_the_original_goes_but_rollback_still_works(old_store) -> None:
    base = old_store("G0")
    original = manifest.scan(base)
    report = _migrator(base, preserve_original_data=False).apply()
    assert report.preserved_original is None
    _migrator(base).rollback()
    assert manifest.verify(base, original) == []


def test_output_folder_leaves_the_source_alone(old_store, tmp_path: Path) -> None:
    base = old_store("G0")
    original = manifest.scan(base)
    out = tmp_path / "migrated"
    report = _migrator(base, output=out).apply()
    assert manifest.verify(base, original) == []
    assert report.output == str(out) and (out / "users").is_dir()
    with pytest.raises(MigrationError, match="output folder exists"):
        _migrator(old_store("G1"), output=out).apply()


def test_changed_history_step_is_refused(old_store) -> None:
    base = old_store("G2")
    _migrator(base).apply()
    path = base / history.HISTORY
    lines = path.read_bytes().splitlines()
    entry = json.loads(lines[-1])
    real = entry["checksum"]
    entry["checksum"] = "0" * 64
    path.write_bytes(b"\n".join([*lines[:-1], json.dumps(entry).encode()]) + b"\n")
    problems = history.validate(base)
    assert len(problems) == 1
    assert str(path) in problems[0] and "0" * 64 in problems[0] and real in problems[0]
    with pytest.raises(history.HistoryMismatch, match="changed since it was applied"):
        _migrator(base).apply(to="G2")


def test_missing_history_step_is_refused(old_store) -> None:
    base = old_store("G0")
    _migrator(base).apply()
    path = base / history.HISTORY
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + b"".join(lines[2:]))  # V2 gone
    assert any("gap" in p for p in history.validate(base))


def test_baseline_adopts_a_store(old_store) -> None:
    base = old_store("G2")
    before = _digest(base)
    entry = _migrator(base).baseline()
    assert entry.target == "G2" and entry.kind == "baseline"
    assert history.validate(base) == []
    assert _migrator(base).detect().generation == "G2"
    assert {k: v for k, v in _digest(base).items() if not k.startswith(".ffmigrate")} == before
    with pytest.raises(MigrationError, match="already has a migration history"):
        _migrator(base).baseline()


def test_live_lock_refuses_and_stale_lock_says_how_to_break_it(old_store) -> None:
    base = old_store("G1")
    migrator = _migrator(base)
    migrator.lease.acquire()
    with pytest.raises(MigrationLocked, match="a migration is running"):
        _migrator(base).apply()
    lock = migrator.lease.path
    data = json.loads(lock.read_bytes())
    data["pid"] = 2**22 + 7  # no such process
    lock.write_text(json.dumps(data))
    with pytest.raises(MigrationLocked, match="stale migration lock.*migrate unlock"):
        _migrator(base).apply()
    assert _migrator(base).unlock()["pid"] == 2**22 + 7
    assert _migrator(base).apply().target_generation == "current"


def test_timeout_stops_at_a_checkpoint_and_recover_resumes(old_store, monkeypatch) -> None:
    base = old_store("G1", messages_per_session=30)
    original = manifest.scan(base)
    migrator = _migrator(base, batch_size=5, timeout_minutes=1e-9)
    with pytest.raises(MigrationTimeout, match="recover"):
        migrator.apply()
    assert manifest.verify(base, original) == []  # nothing cut over
    with pytest.raises(MigrationError, match="unfinished migration"):
        _migrator(base).apply()
    result = _migrator(base, batch_size=5).recover()
    assert result["action"] == "resumed"
    assert _migrator(base).verify()["ok"]


def test_rollback_refuses_a_store_changed_after_migration(old_store) -> None:
    base = old_store("G2")
    _migrator(base).apply()
    profile = next(base.glob("users/*/profile.json"))
    profile.write_bytes(profile.read_bytes() + b" ")
    with pytest.raises(MigrationError, match="changed after the migration"):
        _migrator(base).rollback()
    assert _migrator(base).rollback(force=True)["byte_identical"]


def test_disaster_recovery_from_backup_after_the_store_is_deleted(old_store) -> None:
    base = old_store("G0")
    original = manifest.scan(base)
    _migrator(base, preserve_original_data=False).apply()
    shutil.rmtree(base)
    assert _migrator(base).rollback()["files_verified"] == len(original.files)
    assert manifest.verify(base, original) == []


def test_tampered_backup_is_refused(old_store) -> None:
    base = old_store("G0")
    _migrator(base, preserve_original_data=False).apply()
    work = base.parent / f".{base.name}.ffmigrate"
    victim = next(p for p in (work / "backup/files").rglob("*.jsonl"))
    victim.write_bytes(victim.read_bytes()[:-5])
    with pytest.raises(manifest.BackupInvalid, match=victim.name):
        _migrator(base).rollback(force=True)
    (work / "backup/manifest.json").write_bytes(b"{}")
    with pytest.raises(manifest.BackupInvalid, match="altered"):
        _migrator(base).rollback(force=True)


def test_a_step_that_loses_data_is_never_cut_over(old_store, monkeypatch) -> None:
    base = old_store("G1")
    original = manifest.scan(base)
    from flatfile_chat.migration import steps

    def lossy(self, rel_out, obj):
        return {**steps.rename_key(obj, "id", "message_id"), "content": "lost"}

    monkeypatch.setattr(steps._IdFieldNames, "line", lossy)
    with pytest.raises(MigrationError, match="message digest"):
        _migrator(base).apply()
    assert manifest.verify(base, original) == []
    assert _migrator(base).recover()["action"] == "restored"


# --- found by an outside review -------------------------------------------------------------


@pytest.mark.parametrize("where", ["store", "parent", "inside", "someone_elses"])
def test_a_work_folder_that_overlaps_or_holds_files_is_refused(tmp_path: Path, where: str) -> None:
    base = tmp_path / "parent" / "store"
    generate("G0", base)
    others = tmp_path / "mydocs"
    others.mkdir()
    (others / "thesis.txt").write_text("years of work")
    work = {
        "store": base,
        "parent": base.parent,
        "inside": base / ".work",
        "someone_elses": others,
    }[where]
    before = manifest.scan(tmp_path)
    with pytest.raises(MigrationError, match="--work-dir"):
        _migrator(base, work_dir=work).apply()
    assert manifest.verify(tmp_path, before) == []


def test_an_output_inside_the_store_is_refused(old_store) -> None:
    base = old_store("G0")
    before = manifest.scan(base)
    with pytest.raises(MigrationError, match="--output .* overlaps the store"):
        _migrator(base, output=base / "users" / "migrated").apply()
    assert manifest.verify(base, before) == []


def test_one_lock_per_store_whatever_the_work_folder(old_store, tmp_path: Path) -> None:
    base = old_store("G1")
    holder = _migrator(base)
    holder.lease.acquire()
    try:
        with pytest.raises(MigrationLocked, match="a migration is running"):
            _migrator(base, work_dir=tmp_path / "elsewhere").apply()
    finally:
        holder.lease.release()


def test_blank_lines_are_dropped_and_said_so(old_store) -> None:
    base = old_store("G0")
    log = next(base.glob("*/*/messages.jsonl"))
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + b"\n" + b"".join(lines[1:]))
    report = _migrator(base).apply()
    assert any("1 blank line(s)" in f for f in report.findings)
    assert _migrator(base).verify()["ok"]


def test_quarantine_keeps_the_exact_bytes_of_a_line(old_store) -> None:
    import base64

    base = old_store("G0")
    log = next(base.glob("*/*/messages.jsonl"))
    raw = b'{"role": "user", "content": "caf\xe9 \x00'
    log.write_bytes(log.read_bytes() + raw + b"\n")
    _migrator(base).apply()
    entry = json.loads((base / ".ffmigrate/quarantine/lines.jsonl").read_bytes())
    assert base64.b64decode(entry["raw_base64"]) == raw + b"\n"


def test_g0_store_with_a_user_named_users_is_ambiguous_not_stranded(old_store) -> None:
    base = old_store("G0")
    shutil.copytree(next(p for p in base.iterdir() if p.is_dir()), base / "users")
    before = manifest.scan(base)
    assert _migrator(base).detect().generation == "ambiguous"
    with pytest.raises(MigrationError, match="cannot tell which generation"):
        _migrator(base).apply()
    assert manifest.verify(base, before) == []


def test_an_id_the_current_store_refuses_fails_before_the_cut_over(old_store) -> None:
    base = old_store("G0")
    user = next(p for p in base.iterdir() if p.is_dir())
    user.rename(base / "zoë")
    before = manifest.scan(base)
    with pytest.raises(MigrationError, match="the store API reads"):
        _migrator(base).apply()
    assert manifest.verify(base, before) == []


def test_editing_a_helper_changes_the_checksum_of_the_steps_using_it(monkeypatch) -> None:
    from flatfile_chat.migration import records, steps

    before = {s.label(): s.checksum() for s in STEPS}
    original = records.rename_key

    def rename_key(obj, old, new):  # a different body
        return original(obj, old, new)

    monkeypatch.setattr(records, "rename_key", rename_key)
    monkeypatch.setattr(steps, "rename_key", rename_key)
    after = {s.label(): s.checksum() for s in STEPS}
    assert after["V2__id_field_names"] != before["V2__id_field_names"]
    assert after["V1__users_level"] == before["V1__users_level"]


def test_recover_clears_a_stale_lock_left_with_nothing_unfinished(old_store) -> None:
    base = old_store("G2")
    migrator = _migrator(base)
    migrator.lease.acquire()
    data = json.loads(migrator.lease.path.read_bytes())
    data["pid"] = 2**22 + 7
    migrator.lease.path.write_text(json.dumps(data))
    assert "removed the stale lock" in _migrator(base).recover()["detail"]
    assert _migrator(base).apply().target_generation == "current"


def test_a_broken_session_record_is_quarantined_and_rebuilt_from_its_messages(old_store) -> None:
    base = old_store("G0")
    record = next(base.glob("*/*/session.json"))
    rel = record.relative_to(base).as_posix()
    record.write_bytes(record.read_bytes()[:20])
    report = _migrator(base).apply()
    assert [q["path"] for q in report.quarantined] == [rel]
    assert (base / ".ffmigrate/quarantine/files" / rel).is_file()
    assert any("no session.json" in f for f in report.findings)
    assert _migrator(base).verify()["ok"]


def test_old_field_names_past_detections_sample_are_still_migrated(old_store) -> None:
    base = old_store("G2", messages_per_session=30, traps=False)
    log = next(base.glob("users/*/*/messages.jsonl"))
    lines = log.read_bytes().splitlines(keepends=True)
    old = json.loads(lines[25])
    old = {("id" if k == "message_id" else k): v for k, v in old.items()}
    lines[25] = (json.dumps(old, ensure_ascii=False) + "\n").encode()
    log.write_bytes(b"".join(lines))
    assert _migrator(base).detect().generation == "G2"  # the sample misses it
    plan = _migrator(base).plan()
    assert plan["detected"]["generation"] == "G1"
    assert "found by reading every record" in " ".join(plan["detected"]["evidence"])
    report = _migrator(base).apply()
    assert report.source_generation == "G1" and not report.problems
    migrated = [json.loads(line) for line in log.read_bytes().splitlines()]
    assert migrated[25]["message_id"] == old["id"] and "id" not in migrated[25]
    assert _migrator(base).verify()["ok"]


def test_g3_sessions_get_an_explicit_type_and_lose_it_again_on_the_way_down(old_store) -> None:
    base = old_store("G3")
    records = {p: json.loads(p.read_bytes()) for p in base.glob("users/*/*/session.json")}
    assert any("session_type" not in r for r in records.values())  # G3 left some out
    below = _data_digest(base)
    _migrator(base).apply()
    for path in records:
        assert json.loads(path.read_bytes())["session_type"] in (
            "chat",
            "panel",
            "debate",
            "problem_solving",
        )
    _migrator(base).apply(to="G3")
    assert _data_digest(base) == below


def test_duplicate_message_ids_are_kept_and_reported(old_store) -> None:
    base = old_store("G2", traps=False)
    log = next(base.glob("users/*/*/messages.jsonl"))
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines) + lines[0])
    report = _migrator(base).apply()
    assert any("1 message id(s) used twice" in f for f in report.findings), report.findings
    assert report.counts_after["messages"] == report.counts_before["messages"]
