"""The shard split's small parts exactly (prism_scenarios.shard): refusal messages, the
durations read from a file, when a summary is no durations source, the digest, the hash order."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pytest

from prism_scenarios.shard import (
    Shard,
    assign,
    default_durations,
    digest,
    parse_spec,
    read_durations,
)


@pytest.mark.parametrize(
    "text, message",
    [
        ("x", "'x' is not K/N (e.g. --shard 2/4: the second of four shards)"),
        ("1/2/3", "'1/2/3' is not K/N (e.g. --shard 2/4: the second of four shards)"),
        ("1/0", "'1/0': the number of shards must be at least 1"),
        ("0/2", "'0/2': shard numbers run from 1 to 2 (K/N with 1 <= K <= N)"),
        ("3/2", "'3/2': shard numbers run from 1 to 2 (K/N with 1 <= K <= N)"),
    ],
)
def test_refusals_word_for_word(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        parse_spec(text)
    assert str(caught.value) == message


def test_good_specs() -> None:
    assert parse_spec("1/1") == Shard(1, 1)
    assert parse_spec("\t2 /5 ") == Shard(2, 5)
    assert parse_spec("05/10") == Shard(5, 10)
    assert str(Shard(5, 10)) == "5/10"


def test_durations_in_whole_milliseconds_at_least_one(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"a": 0.0004, "b": 0.0015, "c": True, "d": None, "e": 3, "f": 0.0}))
    assert read_durations(path) == {"a": 1, "b": 2, "e": 3000, "f": 1}
    path.write_text(json.dumps({"tests": [{"nodeid": 3, "duration": 1}, "x", {"nodeid": "t"}]}))
    assert read_durations(path) == {}
    path.write_text(json.dumps({"tests": {"not": "a list"}, "t::a": 1}))
    assert read_durations(path) == {"t::a": 1000}  # read as a plain object


def test_durations_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('"text"')
    with pytest.raises(ValueError) as caught:
        read_durations(path)
    assert str(caught.value) == (
        f"{path}: expected a summary.json or a {{node id: seconds}} object"
    )
    path.write_text("{")
    with pytest.raises(ValueError) as caught:
        read_durations(path)
    assert str(caught.value).startswith(f"{path}: not JSON (")
    with pytest.raises(ValueError) as caught:
        read_durations(tmp_path / "missing.json")
    assert str(caught.value) == f"{tmp_path / 'missing.json'}: No such file or directory"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{",
        "[1]",
        json.dumps({"tests": []}),
        json.dumps({"tests": [{"nodeid": "a"}], "shard": {"index": 1, "count": 2}}),
        json.dumps({"tests": [{"nodeid": "a"}], "partial_because": ["1 of 2 shards"]}),
    ],
)
def test_summaries_that_are_no_durations_source(tmp_path: Path, body: str) -> None:
    if body:
        (tmp_path / "summary.json").write_text(body)
    assert default_durations(tmp_path) is None


def test_a_whole_runs_summary_is_a_source_even_if_partial_for_another_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "summary.json"
    path.write_text(
        json.dumps({"tests": [{"nodeid": "a"}], "shard": None, "partial_because": ["-k x"]})
    )
    assert default_durations(tmp_path) == path
    path.write_text(json.dumps({"tests": [{"nodeid": "a"}], "partial_because": None}))
    assert default_durations(tmp_path) == path


def test_digest_of_ids_or_durations() -> None:
    assert digest(["b", "a"]) == hashlib.sha256(b"a\nb").hexdigest()[:16]
    assert digest(["a", "b"]) == digest(["b", "a"])
    assert digest({"b": 2, "a": 1}) == hashlib.sha256(b'{"a": 1, "b": 2}').hexdigest()[:16]
    assert len(digest([])) == 16


def test_without_durations_tests_are_dealt_in_hash_order() -> None:
    ids = ["t::a", "t::b", "t::c", "t::d", "t::e"]
    ordered = sorted(ids, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    shards, loads, how = assign(ids + ["t::a"], 2)
    assert how == "hash"
    assert {n: shards[n] for n in ordered} == {n: i % 2 + 1 for i, n in enumerate(ordered)}
    assert loads == [3, 2]
    assert assign(ids, 2, {}) == (shards, loads, "hash")  # no durations known: the hash
    assert assign(ids, 2, {"other": 5})[2] == "hash"


def test_the_median_fallback_is_rounded() -> None:
    shards, loads, how = assign(["a", "b", "c"], 1, {"a": 1, "b": 2})
    assert (shards, loads, how) == ({"a": 1, "b": 1, "c": 1}, [1 + 2 + 2], "durations")
    _, loads, _ = assign(["a", "b", "c", "d"], 1, {"a": 1, "b": 2, "c": 4})
    assert loads == [1 + 2 + 4 + 2]
