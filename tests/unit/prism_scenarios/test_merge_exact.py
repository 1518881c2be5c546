"""Merging report folders exactly (prism_scenarios.merge): where a folder's files are found,
the refusals' messages, junit.xml's totals, the outcomes' order, the scope's reasons word for
word, the resource figures and the newest load summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios import merge
from prism_scenarios.merge import MergeError, Source, locate, merge_junit, merge_summaries
from prism_scenarios.shard import Shard


def _summary(tests: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "elapsed_seconds": 1.0,
        "tests": [
            {"nodeid": k, "outcome": v, "duration": 0.5, "message": ""} for k, v in tests.items()
        ],
        **extra,
    }


def _source(path: str, summary: dict[str, Any] | None) -> Source:
    return Source(Path(path), Path(path) / "allure-results", summary, None, None)


def _shard(index: int, count: int, tests: dict[str, str], **record: Any) -> Source:
    shard = {"index": index, "count": count, "suite_tests": 2, "suite_digest": "d", **record}
    return _source(f"s{index}", _summary(tests, shard=shard))


# -- locate ---------------------------------------------------------------------------------
def test_locate_a_report_folder_finds_its_files(tmp_path: Path) -> None:
    (tmp_path / "allure-results").mkdir()
    (tmp_path / "summary.json").write_text(json.dumps(_summary({})))
    (tmp_path / "junit.xml").write_text("<testsuites/>")
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "load_summary.json").write_text("{}")
    found = locate(tmp_path)
    assert found == Source(
        tmp_path,
        tmp_path / "allure-results",
        _summary({}),
        tmp_path / "junit.xml",
        tmp_path / "load" / "load_summary.json",
    )
    assert found.shard is None and found.label == str(tmp_path)
    assert not merge.is_shard(tmp_path)


def test_locate_an_allure_results_folder_reads_its_report_folders_files(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    shard = {"index": 2, "count": 3}
    (tmp_path / "summary.json").write_text(json.dumps(_summary({}, shard=shard)))
    (tmp_path / "junit.xml").write_text("<testsuites/>")
    found = locate(results)
    assert (found.path, found.results, found.junit) == (results, results, tmp_path / "junit.xml")
    assert found.load_summary is None
    assert found.shard == Shard(2, 3)
    assert found.label == f"shard 2/3 ({results})"
    assert merge.is_shard(results)


def test_locate_a_bare_results_folder_without_a_summary(tmp_path: Path) -> None:
    results = tmp_path / "mine"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    (tmp_path / "summary.json").write_text(json.dumps(_summary({})))  # not its report folder
    found = locate(results)
    assert (found.results, found.summary, found.junit) == (results, None, None)
    assert not merge.is_shard(results)


def test_a_summary_beside_the_results_folder_itself(tmp_path: Path) -> None:
    results = tmp_path / "mine"
    results.mkdir()
    (results / "summary.json").write_text(json.dumps(_summary({"t::a": "passed"})))
    assert locate(results).summary == _summary({"t::a": "passed"})


@pytest.mark.parametrize(
    "body, message",
    [
        ("{oops", "not JSON (Expecting property name enclosed in double quotes"),
        ("[]", "not a summary.json of prism-scenarios run"),
        ('{"tests": {}}', "not a summary.json of prism-scenarios run"),
    ],
)
def test_a_summary_that_cannot_be_read_is_refused(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "allure-results").mkdir()
    (tmp_path / "summary.json").write_text(body)
    with pytest.raises(MergeError) as caught:
        locate(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'summary.json'}: {message}")
    assert not merge.is_shard(tmp_path)


def test_folders_that_are_not_reports_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(MergeError) as caught:
        locate(tmp_path / "nope")
    assert str(caught.value) == f"{tmp_path / 'nope'}: no such folder"
    (tmp_path / "file").write_text("")
    with pytest.raises(MergeError):
        locate(tmp_path / "file")
    (tmp_path / "empty" / "allure-results").mkdir(parents=True)
    with pytest.raises(MergeError) as caught:
        locate(tmp_path / "empty")
    assert str(caught.value) == f"{tmp_path / 'empty'}: no Allure results and no summary.json in it"
    assert not merge.is_shard(tmp_path / "nope")


# -- Allure results -------------------------------------------------------------------------
def test_results_skip_folders_hidden_files_and_bad_categories(tmp_path: Path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / ".hidden-result.json").write_text("{}")
    (one / "sub").mkdir()
    (one / "a-result.json").write_text("{}")
    (one / "categories.json").write_text("{nope")
    (one / "environment.properties").write_text(" a = 1 \n# c=d\n! e=f\n\nno pair\nb=2\n")
    two = tmp_path / "two"
    two.mkdir()
    (two / "categories.json").write_text(json.dumps({"name": "a dict"}))
    (two / "environment.properties").write_text("a=1\nb=3\n")
    (two / "a-result.json").write_text("{}")  # the same content: no warning
    dest = tmp_path / "out"
    dest.mkdir()
    sources = [Source(Path("x"), one, None, None, None), Source(Path("y"), two, None, None, None)]
    warnings = merge.merge_results(sources, dest)
    assert warnings == [f"{one / 'categories.json'}: not JSON, left out"]
    assert sorted(p.name for p in dest.iterdir()) == ["a-result.json", "environment.properties"]
    assert (dest / "environment.properties").read_text() == "a=1\nb=2; 3\n"


def test_results_without_metadata_write_none(tmp_path: Path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "a-result.json").write_text("{}")
    dest = tmp_path / "out"
    dest.mkdir()
    assert merge.merge_results([Source(Path("x"), one, None, None, None)], dest) == []
    assert [p.name for p in dest.iterdir()] == ["a-result.json"]


def test_a_name_clash_warning_names_both_files(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, text in ((one, "1"), (two, "2")):
        folder.mkdir()
        (folder / "a-result.json").write_text(text)
    dest = tmp_path / "out"
    dest.mkdir()
    sources = [Source(Path("x"), one, None, None, None), Source(Path("y"), two, None, None, None)]
    assert merge.merge_results(sources, dest) == [
        f"a-result.json is in {one / 'a-result.json'} and {two / 'a-result.json'} with "
        "different content: kept the first"
    ]


# -- junit ----------------------------------------------------------------------------------
def test_junit_totals_a_bare_testsuite_and_skips_what_it_cannot_read(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text(
        '<testsuite name="p" tests="3" failures="1" errors="2" skipped="1" time="0.25"/>'
    )
    blank = tmp_path / "blank.xml"
    blank.write_text('<testsuites><testsuite tests="2" errors="" time=""/></testsuites>')
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuites>")
    sources = [
        Source(Path("a"), tmp_path, _summary({}, shard={"index": 1, "count": 2}), good, None),
        Source(Path("b"), tmp_path, None, None, None),
        Source(Path("c"), tmp_path, None, broken, None),
        Source(Path("d"), tmp_path, None, blank, None),
    ]
    dest = tmp_path / "junit.xml"
    [warning] = merge_junit(sources, dest)
    assert warning.startswith(f"{broken}: not XML (")
    assert warning.endswith("), left out of junit.xml")
    assert dest.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.parse(dest).getroot()
    assert root.attrib == {
        "name": "prism-scenarios (merged)",
        "tests": "5",
        "failures": "1",
        "errors": "2",
        "skipped": "1",
        "time": "0.250",
    }
    assert [s.get("name") for s in root] == ["p [shard 1/2]", None]


def test_junit_shard_suite_without_a_name_is_pytest(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    junit.write_text('<testsuites><testsuite tests="1"/></testsuites>')
    source = Source(Path("a"), tmp_path, _summary({}, shard={"index": 2, "count": 2}), junit, None)
    merge_junit([source], tmp_path / "out.xml")
    [suite] = ET.parse(tmp_path / "out.xml").getroot()
    assert suite.get("name") == "pytest [shard 2/2]"


def test_no_junit_inputs_write_no_file(tmp_path: Path) -> None:
    assert merge_junit([Source(Path("a"), tmp_path, None, None, None)], tmp_path / "j.xml") == []
    assert not (tmp_path / "j.xml").exists()


# -- outcomes and scope ---------------------------------------------------------------------
def test_the_worse_outcome_follows_the_severity_order() -> None:
    order = ["error", "failed", "xpassed", "passed", "xfailed", "skipped"]
    assert list(merge.SEVERITY) == order
    for i, better in enumerate(order):
        for worse in order[: i + 1]:
            assert merge._worse(better, worse) == worse
            assert merge._worse(worse, better) == worse
    assert merge._worse("weird", "skipped") == "skipped"
    assert merge._worse("passed", "weird") == "passed"
    assert merge._worse("odd", "weird") == "odd"


def test_a_test_twice_keeps_the_longest_duration_and_the_worse_ones_message() -> None:
    first = _source("a", _summary({"t::x": "failed", "t::y": "passed"}))
    second = _source("b", _summary({"t::x": "passed", "t::y": "failed"}))
    second.summary["tests"][0].update(duration=2.0, message="second pass")  # type: ignore[index]
    second.summary["tests"][1].update(message="second fail")  # type: ignore[index]
    first.summary["tests"][0]["message"] = "first fail"  # type: ignore[index]
    merged = merge_summaries([first, second])
    x, y = merged.tests["t::x"], merged.tests["t::y"]
    assert (x["outcome"], x["duration"], x["message"]) == ("failed", 2.0, "first fail")
    assert (y["outcome"], y["message"]) == ("failed", "second fail")
    assert merged.reasons == [
        "merged 2 runs that are not shards of one run",
        "2 test(s) ran in more than one input (e.g. t::x); each keeps its worse outcome",
    ]


def test_a_single_whole_run_is_not_partial_and_keeps_its_own_reasons() -> None:
    run = _source("a", _summary({"t::x": "passed"}, partial_because=["pytest -k x", "-m y"]))
    merged = merge_summaries([run])
    assert merged.reasons == ["pytest -k x", "-m y"]
    assert merged.shards == []
    assert merged.notes == [
        "merged from 1 input(s): a. Elapsed is the longest input's (shards run side by "
        "side); CPU and memory figures are per machine: the highest peak, the time-weighted "
        "mean average"
    ]


def test_missing_shards_are_named_in_the_plural() -> None:
    merged = merge_summaries([_shard(2, 4, {"t::a": "passed"})])
    assert merged.reasons == ["missing shards 1/4, 3/4, 4/4: merged 1 of 4"]


def test_shards_with_different_durations_and_the_same_tests() -> None:
    merged = merge_summaries(
        [_shard(1, 2, {"t::a": "passed"}), _shard(2, 2, {"t::b": "passed"}, durations_digest="x")]
    )
    assert merged.reasons == [
        "the shards were balanced by different durations (give every shard the same "
        "--shard-durations): a test may be missing or run twice"
    ]


def test_shards_that_counted_a_different_number_of_tests() -> None:
    merged = merge_summaries(
        [_shard(1, 2, {"t::a": "passed"}), _shard(2, 2, {"t::b": "passed"}, suite_tests=3)]
    )
    assert merged.reasons == [
        "the shards did not collect the same tests (different code, paths or filters): "
        "a test may be missing or run twice"
    ]


def test_complete_shards_that_hold_fewer_tests_than_the_suite() -> None:
    merged = merge_summaries(
        [
            _shard(1, 2, {"t::a": "passed"}, suite_tests=3),
            _shard(2, 2, {"t::b": "passed"}, suite_tests=3),
        ]
    )
    assert merged.reasons == ["2 of the suite's 3 tests are in the shards"]
    no_count = merge_summaries(
        [
            _shard(1, 2, {"t::a": "passed"}, suite_tests=None),
            _shard(2, 2, {"t::b": "passed"}, suite_tests=None),
        ]
    )
    assert no_count.reasons == []
    assert no_count.shards == ["1/2", "2/2"]


def test_refusals_word_for_word() -> None:
    with pytest.raises(MergeError) as caught:
        merge_summaries([_source("a", _summary({})), _source("b", None), _source("c", None)])
    assert str(caught.value) == (
        "no summary.json (written by prism-scenarios run) for b, c: the integration report "
        "needs every input's"
    )
    with pytest.raises(MergeError) as caught:
        merge_summaries([_shard(1, 2, {}), _source("w", _summary({})), _source("v", _summary({}))])
    assert str(caught.value) == (
        "w, v: not a shard, merged with shards of a --shard run; merge the shards of one run only"
    )
    with pytest.raises(MergeError) as caught:
        merge_summaries([_shard(1, 2, {}), _shard(2, 3, {})])
    assert str(caught.value) == (
        "shards of different runs: shard 1/2 (s1), shard 2/3 (s2) (every shard of one run "
        "has the same N)"
    )
    twice = _shard(1, 2, {})
    twice.path = Path("again")
    with pytest.raises(MergeError) as caught:
        merge_summaries([_shard(1, 2, {}), twice])
    assert str(caught.value) == "shard 1/2 given twice: s1 and again; give each shard once"


def test_resources_families_and_order_of_the_merged_figures() -> None:
    one = _shard(2, 2, {"t::b": "passed"})
    two = _shard(1, 2, {"t::a": "passed"})
    one.summary.update(  # type: ignore[union-attr]
        families=["security"],
        resources={"started": 50.0, "elapsed": 3.0, "average_cpu_percent": 10.0},
    )
    two.summary.update(  # type: ignore[union-attr]
        families=["component"],
        elapsed_seconds=9.0,
        resources={"started": 70.0, "average_cpu_percent": 40.0, "peak_cpu_percent": 80.0},
    )
    merged = merge_summaries([one, two])
    assert list(merged.tests) == ["t::a", "t::b"]
    assert merged.families is None  # the inputs ran different families
    assert merged.started == 50.0
    assert merged.elapsed == 9.0  # an input without resources.elapsed: its elapsed_seconds
    assert merged.average_cpu_percent == round((10 * 3 + 40 * 9) / 12, 1)
    assert merged.peak_cpu_percent == 80.0
    assert merged.peak_rss_mb is None
    assert merged.notes[0].startswith("merged from 2 input(s): shard 1/2 (s1); shard 2/2 (s2).")


def test_inputs_without_resources() -> None:
    run = _source("a", {"tests": []})
    merged = merge_summaries([run])
    assert (merged.started, merged.elapsed) == (0.0, 0.0)
    assert merged.average_cpu_percent is None and merged.peak_cpu_percent is None
    assert merged.families is None and merged.tests == {}
    zero = _source("b", _summary({}, elapsed_seconds=0, resources={"average_cpu_percent": 5.0}))
    assert merge_summaries([zero]).average_cpu_percent is None  # no time to weigh it by


# -- load summaries -------------------------------------------------------------------------
def test_the_newest_load_summary_wins_and_unreadable_ones_are_skipped(tmp_path: Path) -> None:
    def load(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text(body)
        return path

    old = load("old.json", json.dumps({"generated": 10}))
    new = load("new.json", json.dumps({"generated": 20}))
    bad = load("bad.json", "{oops")
    listed = load("list.json", "[1]")
    sources = [Source(Path(p.stem), tmp_path, None, None, p) for p in (old, bad, new, listed)] + [
        Source(Path("none"), tmp_path, None, None, None)
    ]
    assert merge.newest_load_summary(sources) == new
    assert merge.newest_load_summary(sources[:2]) == old
    assert merge.newest_load_summary([sources[1], sources[4]]) is None
    missing = Source(Path("m"), tmp_path, None, None, tmp_path / "missing.json")
    undated = Source(Path("u"), tmp_path, None, None, load("undated.json", "{}"))
    assert merge.newest_load_summary([missing, undated]) == undated.load_summary
