"""The plan's rate is measured on a sample of the store's own message lines: at most 2,000
lines, every readable one parsed, checked and serialised, a line that is not JSON skipped
(the readable lines after it still timed). The clock is a fake, so the rate is exact."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flatfile_chat.migration import engine
from flatfile_chat.migration.engine import Migrator
from flatfile_chat.migration.generators import generate


def _fake_time(perf_counter: Any) -> SimpleNamespace:
    return SimpleNamespace(perf_counter=perf_counter, time=time.time, monotonic=time.monotonic)


def _one_session_store(base: Path, messages: int) -> Path:
    """A G0 store of one user with one session of ``messages`` messages and nothing else."""
    generate(
        "G0",
        base,
        users=1,
        sessions_per_user=1,
        messages_per_session=messages,
        seed=3,
        documents=False,
        vectors=False,
        traps=False,
    )
    return base


def test_the_sample_is_the_first_2000_message_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _one_session_store(tmp_path / "store", messages=2100)
    ticks = iter([10.0, 11.0])  # the sample takes exactly one second
    monkeypatch.setattr(engine, "time", _fake_time(lambda: next(ticks)))
    plan = Migrator(base).plan()
    assert plan["counts"]["messages"] == 2100
    assert plan["estimate_basis"] == "2,000 records/s measured on a sample of this store"
    # 2,100 lines and 3 files, 4 steps, at 2,000 records/s
    assert plan["estimated_seconds"] == 4.21


def test_a_line_that_is_not_json_is_skipped_and_the_lines_after_it_are_timed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _one_session_store(tmp_path / "store", messages=4)
    (log,) = base.rglob("messages.jsonl")
    log.write_bytes(b"{not json\n" + log.read_bytes())
    clock = [0.0]
    real_dump_line = engine.dump_line

    def dump_line_taking_a_millisecond(obj: Any) -> bytes:
        clock[0] += 0.001
        return real_dump_line(obj)

    monkeypatch.setattr(engine, "dump_line", dump_line_taking_a_millisecond)
    monkeypatch.setattr(engine, "time", _fake_time(lambda: clock[0]))
    plan = Migrator(base).plan()
    # 5 lines in the sample, 4 of them serialised at 1 ms each: 5 / 0.004 s
    assert plan["estimate_basis"] == "1,250 records/s measured on a sample of this store"
    assert clock[0] == pytest.approx(0.004)
