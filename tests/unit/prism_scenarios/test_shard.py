"""``run --shard K/N``: the split partitions the suite exactly and the same way on every
machine, balances by durations when it has them, and refuses bad values (exit 2)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from prism_scenarios.cli import parse
from prism_scenarios.shard import Shard, assign, default_durations, parse_spec, read_durations

NODEIDS = [
    f"scenarios/{family}/f{file}.yaml::scenario {n}"
    for family in ("component", "security", "use_cases")
    for file in range(7)
    for n in range(5)
] + [f"features/test_x.py::test_{n}" for n in range(12)]


@pytest.mark.parametrize("with_durations", [False, True])
@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 200])
def test_the_shards_partition_the_suite_and_every_machine_cuts_the_same(
    count: int, with_durations: bool
) -> None:
    rng = random.Random(count)
    # some tests have no recorded duration (new since the last run); one duration is unknown
    durations = {n: rng.randint(1, 5000) for n in NODEIDS[::2]} if with_durations else None
    shards, loads, how = assign(NODEIDS, count, durations)
    assert how == ("durations" if with_durations else "hash")
    assert set(shards) == set(NODEIDS)  # every test in a shard, each exactly once (a dict)
    assert all(1 <= k <= count for k in shards.values())
    parts = [{n for n in NODEIDS if shards[n] == k} for k in range(1, count + 1)]
    assert sum(len(p) for p in parts) == len(NODEIDS)
    assert set().union(*parts) == set(NODEIDS)
    shuffled = NODEIDS[:]
    rng.shuffle(shuffled)  # another machine collects in another order
    assert assign(shuffled, count, dict(durations) if durations else None) == (shards, loads, how)


def test_without_durations_the_shards_hold_as_many_tests_as_can_be() -> None:
    shards, loads, _ = assign(NODEIDS, 4)
    sizes = sorted(list(shards.values()).count(k) for k in range(1, 5))
    assert sizes == [29, 29, 29, 30] and sum(loads) == len(NODEIDS) == 117


def test_durations_go_longest_first_into_the_lightest_shard_ties_by_node_id() -> None:
    durations = {"a": 9000, "b": 7000, "c": 5000, "d": 5000, "e": 3000, "f": 1000}
    shards, loads, how = assign(list("fedcba"), 2, durations)
    # a->1 (9), b->2 (7), c->2 (12; c before d: equal durations in node-id order), d->1 (14),
    # e->2 (15), f->1 (15)
    assert shards == {"a": 1, "b": 2, "c": 2, "d": 1, "e": 2, "f": 1}
    assert loads == [15000, 15000] and how == "durations"
    # a test without a recorded duration weighs the median of the recorded ones
    shards, loads, _ = assign(["a", "b", "new"], 2, {"a": 4000, "b": 1000})
    assert shards == {"a": 1, "new": 2, "b": 2} and loads == [4000, 3500]


def test_durations_balance_better_than_counts() -> None:
    durations = {n: (60_000 if n.startswith("features/") else 100) for n in NODEIDS}
    slow = [n for n in NODEIDS if n.startswith("features/")]
    shards, loads, how = assign(NODEIDS, 3, durations)
    assert how == "durations"
    assert [[shards[n] for n in slow].count(k) for k in (1, 2, 3)] == [4, 4, 4]
    assert max(loads) - min(loads) <= 100
    counted = assign(NODEIDS, 3)[0]  # hash alone is blind to durations
    assert [[counted[n] for n in slow].count(k) for k in (1, 2, 3)] != [4, 4, 4]


@pytest.mark.parametrize(
    "value, message",
    [
        ("0/3", "shard numbers run from 1 to 3"),
        ("4/3", "shard numbers run from 1 to 3"),
        ("x", "is not K/N"),
        ("2", "is not K/N"),
        ("1/0", "must be at least 1"),
        ("-1/3", "is not K/N"),
    ],
)
def test_bad_shard_values_are_refused_with_exit_2(value: str, message: str, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(["run", f"--shard={value}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --shard" in err and message in err, err


def test_good_values() -> None:
    assert parse(["run", "--shard", "2/4", "checks"]).shard == Shard(2, 4)
    assert str(parse_spec(" 3 / 3 ")) == "3/3"


def test_durations_come_from_a_summary_or_a_plain_object(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "tests": [
                    {"nodeid": "a.yaml::x", "duration": 1.2344, "outcome": "passed"},
                    {"nodeid": "a.yaml::y", "duration": 0.0, "outcome": "passed"},
                    {"nodeid": "a.yaml::z", "duration": "slow"},
                ]
            }
        )
    )
    assert read_durations(summary) == {"a.yaml::x": 1234, "a.yaml::y": 1}
    plain = tmp_path / ".test_durations"
    plain.write_text(json.dumps({"t.py::a": 2, "t.py::b": -1}))
    assert read_durations(plain) == {"t.py::a": 2000}
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="expected a summary.json"):
        read_durations(bad)
    bad.write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        read_durations(bad)
    with pytest.raises(ValueError, match="No such file"):
        read_durations(tmp_path / "missing.json")


def test_a_shards_own_summary_is_no_durations_source(tmp_path: Path) -> None:
    """Machines that each kept their last shard's summary would cut the suite differently."""
    tests = [{"nodeid": "a.yaml::x", "duration": 1.0}]
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"tests": tests}))
    assert default_durations(tmp_path) == path
    path.write_text(json.dumps({"tests": tests, "shard": {"index": 1, "count": 2}}))
    assert default_durations(tmp_path) is None
    path.write_text(
        json.dumps(
            {
                "tests": tests,
                "shards": ["1/2"],
                "partial_because": ["missing shard 2/2: merged 1 of 2"],
            }
        )
    )
    assert default_durations(tmp_path) is None
    path.write_text(json.dumps({"tests": tests, "shards": ["1/2", "2/2"], "partial_because": []}))
    assert default_durations(tmp_path) == path
