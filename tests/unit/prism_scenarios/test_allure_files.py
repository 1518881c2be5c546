"""Report-wide Allure files (prism_scenarios.allure_metadata) and the flaky mark on a test that
passed only on a retry (prism_scenarios.allure_retries), in-process and exactly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prism_scenarios import allure_metadata, allure_retries
from prism_scenarios.allure_bridge import CATEGORIES

OUR_NAMES = [c["name"] for c in CATEGORIES]


# -- categories -------------------------------------------------------------------------------
def test_merge_categories_keeps_theirs_first_and_adds_ours_once_by_name() -> None:
    theirs = [{"name": "Product defect", "matchedStatuses": ["broken"]}, {"name": "Mine"}]
    merged = allure_metadata.merge_categories(theirs)
    assert merged[:2] == theirs  # theirs first, untouched (Allure takes the first match)
    assert [c["name"] for c in merged[2:]] == [n for n in OUR_NAMES if n != "Product defect"]
    assert allure_metadata.merge_categories([]) == CATEGORIES


def test_add_report_metadata_writes_both_files_into_a_new_folder(tmp_path: Path) -> None:
    results = tmp_path / "deep" / "allure-results"
    allure_metadata.add_report_metadata(results, {"python": "3.12", "cpus": "2"})
    assert (results / "categories.json").read_text(encoding="utf-8") == (
        json.dumps(CATEGORIES, indent=2) + "\n"
    )
    assert (results / "environment.properties").read_text(encoding="utf-8") == (
        "python=3.12\ncpus=2\n"
    )
    assert sorted(p.name for p in results.iterdir()) == [
        "categories.json",
        "environment.properties",
    ]  # no temporary file left behind


def test_add_report_metadata_never_overwrites_a_users_entries(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    mine = [{"name": "Mine", "matchedStatuses": ["failed"]}]
    (results / "categories.json").write_text(json.dumps(mine), encoding="utf-8")
    # their file has a comment, a '!' comment, a blank line, a line without '=', and no
    # newline at the end; a value containing '=' is kept whole
    (results / "environment.properties").write_text(
        "# comment=x\n  ! other=y\n\nnot a pair\nci_build=42=a\n python = 3.11", encoding="utf-8"
    )
    allure_metadata.add_report_metadata(
        results, {"python": "3.12", "ci_build": "1", "cpus": "2", "comment": "c", "other": "o"}
    )
    assert json.loads((results / "categories.json").read_text()) == mine + CATEGORIES
    assert (results / "environment.properties").read_text(encoding="utf-8") == (
        "# comment=x\n  ! other=y\n\nnot a pair\nci_build=42=a\n python = 3.11\n"
        "cpus=2\ncomment=c\nother=o\n"
    )


def test_add_report_metadata_leaves_complete_files_as_they_are(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    categories = results / "categories.json"
    categories.write_text(json.dumps(CATEGORIES), encoding="utf-8")  # one line, not indented
    env = results / "environment.properties"
    env.write_text("python=3.12\n", encoding="utf-8")
    os.utime(categories, (1, 1))
    os.utime(env, (1, 1))
    allure_metadata.add_report_metadata(results, {"python": "3.13"})
    assert categories.read_text() == json.dumps(CATEGORIES)
    assert env.read_text() == "python=3.12\n"
    assert categories.stat().st_mtime == 1 and env.stat().st_mtime == 1  # not even rewritten


@pytest.mark.parametrize("body", ["{not json", '{"name": "a dict, not a list"}'])
def test_add_report_metadata_leaves_a_categories_file_it_cannot_read_and_stops(
    tmp_path: Path, body: str
) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "categories.json").write_text(body, encoding="utf-8")
    allure_metadata.add_report_metadata(results, {"python": "3.12"})
    assert (results / "categories.json").read_text(encoding="utf-8") == body
    assert not (results / "environment.properties").exists()


def test_environment_names_the_interpreter_platform_cpus_and_installed_packages() -> None:
    import platform
    from importlib.metadata import version

    info = allure_metadata.environment()
    assert info["python"] == platform.python_version()
    assert info["platform"] == platform.platform()
    assert info["cpus"] == str(os.cpu_count())
    assert info["pytest"] == version("pytest")
    assert info["pydantic"] == version("pydantic")
    assert list(info)[:3] == ["python", "platform", "cpus"]


def test_environment_skips_a_package_that_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata as metadata

    real = metadata.version

    def version(name: str) -> str:
        if name == "pytest-bdd":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    info = allure_metadata.environment()
    assert "pytest-bdd" not in info
    assert info["pytest"] == real("pytest")  # the packages after it are still named


def test_carry_over_keeps_only_the_projects_own_entries(tmp_path: Path) -> None:
    previous, fresh = tmp_path / "old", tmp_path / "new"
    previous.mkdir()
    fresh.mkdir()
    (previous / "environment.properties").write_text(
        "python=3.0\nci_build=42\npytest=1\nbranch=main\n", encoding="utf-8"
    )
    theirs = {"name": "Mine", "matchedStatuses": ["failed"]}
    (previous / "categories.json").write_text(
        json.dumps([CATEGORIES[0], theirs, "not a dict", CATEGORIES[3]]), encoding="utf-8"
    )
    allure_metadata.carry_over(previous, fresh)
    assert (fresh / "environment.properties").read_text(encoding="utf-8") == (
        "ci_build=42\nbranch=main\n"
    )
    assert (fresh / "categories.json").read_text(encoding="utf-8") == (
        json.dumps([theirs, "not a dict"], indent=2) + "\n"
    )


def test_carry_over_writes_nothing_when_only_ours_were_there(tmp_path: Path) -> None:
    previous, fresh = tmp_path / "old", tmp_path / "new"
    previous.mkdir()
    fresh.mkdir()
    (previous / "environment.properties").write_text("python=3.0\ncpus=8\n", encoding="utf-8")
    (previous / "categories.json").write_text(json.dumps(CATEGORIES), encoding="utf-8")
    allure_metadata.carry_over(previous, fresh)
    assert list(fresh.iterdir()) == []


@pytest.mark.parametrize("body", ["{broken", '{"a": 1}'])
def test_carry_over_skips_categories_it_cannot_read(tmp_path: Path, body: str) -> None:
    previous, fresh = tmp_path / "old", tmp_path / "new"
    previous.mkdir()
    fresh.mkdir()
    (previous / "categories.json").write_text(body, encoding="utf-8")
    allure_metadata.carry_over(previous, fresh)
    assert list(fresh.iterdir()) == []


def test_carry_over_from_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    fresh = tmp_path / "new"
    fresh.mkdir()
    allure_metadata.carry_over(tmp_path / "missing", fresh)
    assert list(fresh.iterdir()) == []


# -- flaky ------------------------------------------------------------------------------------
def _result(folder: Path, name: str, **data: object) -> Path:
    path = folder / f"{name}-result.json"
    path.write_text(json.dumps(data))
    return path


def test_the_last_attempt_passing_after_a_failure_is_marked_flaky(tmp_path: Path) -> None:
    first = _result(tmp_path, "a1", historyId="h", status="failed", stop=10)
    last = _result(tmp_path, "a2", historyId="h", status="passed", stop=20, statusDetails={"m": 1})
    broken = _result(tmp_path, "b1", historyId="k", status="broken", stop=5)
    fixed = _result(tmp_path, "b2", historyId="k", status="passed", stop=6)
    assert allure_retries.mark_flaky(tmp_path) == 2
    assert json.loads(last.read_text()) == {
        "historyId": "h",
        "status": "passed",
        "stop": 20,
        "statusDetails": {"m": 1, "flaky": True},
    }
    assert json.loads(fixed.read_text())["statusDetails"] == {"flaky": True}
    assert json.loads(first.read_text()) == {"historyId": "h", "status": "failed", "stop": 10}
    assert "statusDetails" not in json.loads(broken.read_text())
    assert not list(tmp_path.glob("*.tmp"))


def test_the_order_of_attempts_is_their_stop_time_not_their_file_name(tmp_path: Path) -> None:
    # "a" sorts first by name but stopped last: the last attempt failed, so nothing is flaky
    last = _result(tmp_path, "a", historyId="h", status="failed", stop=30)
    _result(tmp_path, "b", historyId="h", status="passed", stop=20)
    _result(tmp_path, "c", historyId="h", status="failed", stop=10)
    assert allure_retries.mark_flaky(tmp_path) == 0
    assert "statusDetails" not in json.loads(last.read_text())


def test_a_missing_stop_counts_as_the_earliest(tmp_path: Path) -> None:
    _result(tmp_path, "a", historyId="h", status="failed")
    last = _result(tmp_path, "b", historyId="h", status="passed", stop=1)
    assert allure_retries.mark_flaky(tmp_path) == 1
    assert json.loads(last.read_text())["statusDetails"] == {"flaky": True}


def test_not_flaky_a_single_run_passes_only_and_unreadable_results(tmp_path: Path) -> None:
    single = _result(tmp_path, "s", historyId="one", status="passed", stop=1)
    _result(tmp_path, "p1", historyId="p", status="passed", stop=1)
    _result(tmp_path, "p2", historyId="p", status="passed", stop=2)
    _result(tmp_path, "sk1", historyId="q", status="skipped", stop=1)
    _result(tmp_path, "sk2", historyId="q", status="passed", stop=2)
    _result(tmp_path, "n1", status="failed", stop=1)  # no historyId
    _result(tmp_path, "n2", status="passed", stop=2)
    (tmp_path / "bad-result.json").write_text("{nope")
    (tmp_path / "list-result.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text(json.dumps({"historyId": "p", "status": "failed"}))
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert allure_retries.mark_flaky(tmp_path) == 0
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before
    assert json.loads(single.read_text())["status"] == "passed"
