"""``prism-scenarios report DIR ...``: merging report folders (the shards of one run) without
running anything: Allure results as a union, metadata merged, the scope judged."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from prism_scenarios.merge import (
    MergeError,
    locate,
    merge_junit,
    merge_results,
    merge_summaries,
)
from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import system_report

SUITE = {"suite_tests": 4, "suite_digest": "d1", "durations_digest": None}


def _shard_dir(
    root: Path,
    index: int,
    count: int,
    tests: dict[str, str],
    *,
    reasons: list[str] | None = None,
    record: dict | None = None,
    categories: list[dict] | None = None,
    env: str = "python=3.11\n",
) -> Path:
    folder = root / f"shard{index}"
    results = folder / "allure-results"
    results.mkdir(parents=True)
    for n, (nodeid, outcome) in enumerate(tests.items()):
        (results / f"{index}-{n}-result.json").write_text(
            json.dumps({"uuid": f"{index}-{n}", "name": nodeid, "status": outcome})
        )
    (results / f"{index}-a-attachment.json").write_text("{}")
    (results / "categories.json").write_text(
        json.dumps(categories or [{"name": "Product defect", "matchedStatuses": ["failed"]}])
    )
    (results / "environment.properties").write_text(env)
    summary = {
        "elapsed_seconds": 2.0,
        "exit_status": 0,
        "counts": {},
        "tests": [
            {
                "nodeid": k,
                "outcome": v,
                "duration": 0.5,
                "message": "",
                PROPERTY: None,
                "severity": None,
            }
            for k, v in tests.items()
        ],
        "partial_because": reasons or [],
        "families": ["component"],
        "resources": {
            "started": 1000.0 + index,
            "elapsed": 2.0 * index,
            "average_cpu_percent": 50.0 * index,
            "peak_cpu_percent": 90.0,
            "peak_rss_mb": 100.0 * index,
        },
    }
    if count:
        summary["shard"] = {
            "index": index,
            "count": count,
            "tests": len(tests),
            **SUITE,
            **(record or {}),
        }
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "junit.xml").write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{len(tests)}" '
        f'failures="{list(tests.values()).count("failed")}" errors="0" skipped="0" '
        f'time="1.5"><testcase name="x"/></testsuite></testsuites>'
    )
    return folder


def test_all_shards_make_a_full_union(tmp_path: Path) -> None:
    one = _shard_dir(
        tmp_path,
        1,
        2,
        {"a::x": "passed", "a::y": "failed"},
        categories=[{"name": "Theirs"}, {"name": "Product defect"}],
    )
    two = _shard_dir(
        tmp_path, 2, 2, {"b::x": "passed", "b::y": "skipped"}, env="python=3.11\nplatform=other\n"
    )
    sources = [locate(two), locate(one / "allure-results")]  # any order, either folder
    merged = merge_summaries(sources)
    assert merged.reasons == [] and merged.shards == ["1/2", "2/2"]
    assert list(merged.tests) == ["a::x", "a::y", "b::x", "b::y"]  # shard order
    assert merged.tests["a::y"]["outcome"] == "failed"
    assert (merged.started, merged.elapsed, merged.peak_rss_mb) == (1001.0, 4.0, 200.0)
    assert merged.average_cpu_percent == round((50 * 2 + 100 * 4) / 6, 1)
    assert merged.families == ["component"]
    dest = tmp_path / "out"
    dest.mkdir()
    assert merge_results(sources, dest) == []
    names = sorted(p.name for p in dest.iterdir())
    assert [n for n in names if n.endswith("-result.json")] == [
        "1-0-result.json",
        "1-1-result.json",
        "2-0-result.json",
        "2-1-result.json",
    ]
    assert "1-a-attachment.json" in names and "2-a-attachment.json" in names
    categories = json.loads((dest / "categories.json").read_text())
    assert [c["name"] for c in categories] == ["Product defect", "Theirs"]  # once each
    env = (dest / "environment.properties").read_text().splitlines()
    assert env == ["python=3.11", "platform=other", "shards=2/2, 1/2"]
    merge_junit(sources, dest / "junit.xml")
    root = ET.parse(dest / "junit.xml").getroot()
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("time")) == (
        "testsuites",
        "4",
        "1",
        "3.000",
    )
    assert [s.get("name") for s in root] == ["pytest [shard 2/2]", "pytest [shard 1/2]"]


def test_a_missing_shard_makes_the_merge_partial(tmp_path: Path) -> None:
    sources = [locate(_shard_dir(tmp_path, i, 3, {f"{i}::t": "passed"})) for i in (1, 3)]
    merged = merge_summaries(sources)
    assert merged.reasons == ["missing shard 2/3: merged 2 of 3"]


def test_reasons_every_shard_shares_stay_whole_the_others_name_their_shard(tmp_path: Path) -> None:
    common = "the project has no use-case catalog of its own"
    sources = [
        locate(
            _shard_dir(
                tmp_path,
                1,
                2,
                {"a::x": "passed"},
                reasons=[common, "stopped early: 1 of 2 tests ran"],
            )
        ),
        locate(_shard_dir(tmp_path, 2, 2, {"b::x": "passed"}, reasons=[common])),
    ]
    assert merge_summaries(sources).reasons == [common, "1/2: stopped early: 1 of 2 tests ran"]


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"suite_digest": "other"}, "did not collect the same tests"),
        ({"durations_digest": "abc"}, "balanced by different durations"),
    ],
)
def test_shards_cut_differently_are_flagged(tmp_path: Path, record: dict, reason: str) -> None:
    sources = [
        locate(_shard_dir(tmp_path, 1, 2, {"a::x": "passed"})),
        locate(_shard_dir(tmp_path, 2, 2, {"b::x": "passed"}, record=record)),
    ]
    [only] = merge_summaries(sources).reasons
    assert reason in only


def test_a_test_in_two_inputs_keeps_its_worse_outcome(tmp_path: Path) -> None:
    sources = [
        locate(_shard_dir(tmp_path, 1, 2, {"a::x": "passed", "a::y": "passed"})),
        locate(_shard_dir(tmp_path, 2, 2, {"a::x": "failed"})),
    ]
    merged = merge_summaries(sources)
    assert merged.tests["a::x"]["outcome"] == "failed"
    assert merged.reasons == [
        "1 test(s) ran in more than one input (e.g. a::x); each keeps its worse outcome"
    ]


def test_whole_runs_merge_as_partial(tmp_path: Path) -> None:
    sources = [locate(_shard_dir(tmp_path, i, 0, {f"{i}::t": "passed"})) for i in (1, 2)]
    assert merge_summaries(sources).reasons == ["merged 2 runs that are not shards of one run"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("different N", "shards of different runs"),
        ("twice", "shard 1/2 given twice"),
        ("shard and whole", "not a shard, merged with shards"),
        ("no summary", "no summary.json (written by prism-scenarios run)"),
    ],
)
def test_inputs_that_cannot_make_one_report(tmp_path: Path, case: str, message: str) -> None:
    first = _shard_dir(tmp_path / "a", 1, 2, {"a::x": "passed"})
    other = {
        "different N": lambda: _shard_dir(tmp_path / "b", 2, 3, {"b::x": "passed"}),
        "twice": lambda: _shard_dir(tmp_path / "b", 1, 2, {"a::x": "passed"}),
        "shard and whole": lambda: _shard_dir(tmp_path / "b", 2, 0, {"b::x": "passed"}),
        "no summary": lambda: _shard_dir(tmp_path / "b", 2, 2, {"b::x": "passed"}),
    }[case]()
    if case == "no summary":
        (other / "summary.json").unlink()
    with pytest.raises(MergeError, match=re.escape(message)):
        merge_summaries([locate(first), locate(other)])


def _with_records(folder: Path, records: dict[str, object]) -> Path:
    """``folder``'s summary.json with these prism records, by node id."""
    path = folder / "summary.json"
    summary = json.loads(path.read_text())
    for test in summary["tests"]:
        test[PROPERTY] = records.get(test["nodeid"], test[PROPERTY])
    path.write_text(json.dumps(summary))
    return folder


# An invalid scenario file's record as `run` wrote it before the record was typed: no severity.
OLD_INVALID = {
    "use_case": None,
    "source": "scenarios/security/broken.yaml",
    "name": "broken.yaml",
    "components": [],
    "steps": 0,
    "duration": 0.0,
    "tags": [],
}


def test_an_older_summary_s_records_are_merged_in_the_current_form(tmp_path: Path) -> None:
    new = TestOutcome(
        use_case=None,
        source="scenarios/security/s.yaml",
        name="s",
        components=("storage",),
        steps=2,
        duration=0.5,
        tags=("security",),
        severity="critical",
    )
    one = _with_records(
        _shard_dir(tmp_path, 1, 2, {"a::bad": "error"}), {"a::bad": dict(OLD_INVALID)}
    )
    two = _with_records(_shard_dir(tmp_path, 2, 2, {"b::s": "failed"}), {"b::s": new.to_dict()})
    merged = merge_summaries([locate(one), locate(two)])
    assert merged.tests["a::bad"][PROPERTY] == {**OLD_INVALID, "severity": None}
    assert merged.tests["b::s"][PROPERTY] == new.to_dict()
    report = system_report(list(merged.tests.values()), [], elapsed=1.0, started=0.0)
    assert report.vulnerabilities_found == 2
    assert [(f.test, f.allure_severity) for f in report.security_findings or []] == [
        ("b::s", "critical"),
        ("a::bad", "normal"),
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({**OLD_INVALID, "severity": 3}, "field 'severity' has the wrong type"),
        (
            {k: v for k, v in OLD_INVALID.items() if k != "components"},
            "missing field(s) components",
        ),
        ("not a record", "expected an object, got str"),
    ],
)
def test_a_record_that_cannot_be_read_back_is_refused(
    tmp_path: Path, record: object, message: str
) -> None:
    one = _with_records(_shard_dir(tmp_path, 1, 2, {"a::x": "passed"}), {"a::x": record})
    two = _shard_dir(tmp_path, 2, 2, {"b::x": "passed"})
    with pytest.raises(MergeError, match=re.escape(f"summary.json: a::x: prism record: {message}")):
        merge_summaries([locate(one), locate(two)])


def test_folders_that_are_not_reports(tmp_path: Path) -> None:
    with pytest.raises(MergeError, match="no such folder"):
        locate(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MergeError, match="no Allure results and no summary.json"):
        locate(tmp_path / "empty")


def test_a_name_clash_with_other_content_keeps_the_first_and_says_so(tmp_path: Path) -> None:
    one = _shard_dir(tmp_path, 1, 2, {"a::x": "passed"})
    two = _shard_dir(tmp_path, 2, 2, {"b::x": "passed"})
    (two / "allure-results" / "1-a-attachment.json").write_text('{"other": 1}')
    dest = tmp_path / "out"
    dest.mkdir()
    [warning] = merge_results([locate(one), locate(two)], dest)
    assert "1-a-attachment.json" in warning and "kept the first" in warning
    assert (dest / "1-a-attachment.json").read_text() == "{}"
