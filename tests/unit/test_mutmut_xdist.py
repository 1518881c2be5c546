"""tools/mutmut_xdist.py and tools/mutation_hits.py: mutmut's stats pass under xdist records
what mutmut's own collector would, in one process or in several workers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Stand-ins for mutmut's trampolines: each adds a mangled function name to mutmut's hit set.
HITTING_TESTS = """
import pytest
from mutmut.state import state

@pytest.fixture
def tidy():
    yield
    state()._stats.add("pkg.mod.x_cleanup")

def test_calls_two(tidy):
    state()._stats.add("pkg.mod.x_f")
    state()._stats.add("pkg.mod.xǁCǁm")

def test_calls_none():
    pass

def test_moves_elsewhere_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # mutmut's config must already be read by now
    from mutmut.stats import record_trampoline_hit
    record_trampoline_hit("pkg.mod.x_g")

@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_calls_f(n):
    state()._stats.add("pkg.mod.x_f")
"""


@pytest.fixture(scope="module")
def xdist_tool():
    spec = importlib.util.spec_from_file_location(
        "mutmut_xdist", REPO / "tools" / "mutmut_xdist.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stats_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, hits: Path, *args: str
) -> tuple[int, Path]:
    pytester.makepyfile(test_hits=HITTING_TESTS)
    pytester.makepyprojecttoml('[tool.mutmut]\nsource_paths = ["pkg"]\n')
    hits.mkdir()
    monkeypatch.setenv("MUTATION_HITS_DIR", str(hits))
    monkeypatch.setenv("PYTHONPATH", str(REPO / "tools"))
    result = pytester.runpytest_subprocess("-p", "mutation_hits", "-p", "no:randomly", *args)
    return result.ret, hits


@pytest.mark.subprocess
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two workers"])
def test_each_test_gets_the_functions_it_ran_including_its_teardown(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    xdist_tool,
    workers: list[str],
) -> None:
    code, hits = _stats_pass(pytester, monkeypatch, tmp_path / "hits", *workers)
    assert code == 0
    files = sorted(p.name for p in hits.iterdir())
    assert files == (["gw0.json", "gw1.json"] if workers else ["main.json"])
    by_function, durations = xdist_tool.merge_hits(hits)
    params = {f"test_hits.py::test_calls_f[{n}]" for n in range(1, 5)}
    assert by_function == {
        "pkg.mod.x_f": {"test_hits.py::test_calls_two", *params},
        "pkg.mod.xǁCǁm": {"test_hits.py::test_calls_two"},
        "pkg.mod.x_cleanup": {"test_hits.py::test_calls_two"},
        "pkg.mod.x_g": {"test_hits.py::test_moves_elsewhere_first"},
    }
    # every test has a duration, the one that hit nothing too (mutmut lists the tests by it)
    assert (
        set(durations)
        == {
            "test_hits.py::test_calls_two",
            "test_hits.py::test_calls_none",
            "test_hits.py::test_moves_elsewhere_first",
        }
        | params
    )
    assert all(seconds > 0 for seconds in durations.values())


def test_worker_files_merge_into_one_map(tmp_path: Path, xdist_tool) -> None:
    (tmp_path / "gw0.json").write_text(
        json.dumps({"hits": {"t::a": ["f", "g"]}, "durations": {"t::a": 0.5, "t::c": 0.1}})
    )
    (tmp_path / "gw1.json").write_text(
        json.dumps({"hits": {"t::b": ["f"]}, "durations": {"t::b": 0.25}})
    )
    by_function, durations = xdist_tool.merge_hits(tmp_path)
    assert by_function == {"f": {"t::a", "t::b"}, "g": {"t::a"}}
    assert durations == {"t::a": 0.5, "t::b": 0.25, "t::c": 0.1}


def test_the_clean_check_reuses_only_a_passing_full_stats_pass_of_this_run(
    xdist_tool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[list[str]] = []

    def fake_run(command, env):  # the real pass is pytest under xdist: too slow for a unit test
        calls.append(command)
        return type("Done", (), {"returncode": 7})()

    (tmp_path / "mutants").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(xdist_tool.subprocess, "run", fake_run)
    monkeypatch.setattr(
        xdist_tool, "_pytest_command", lambda jobs, tests: ["-n", str(jobs), *tests]
    )
    monkeypatch.setattr(xdist_tool, "_STATS_PASSED", {"t::a", "t::b"})
    assert xdist_tool.run_clean(2, ["t::a"]) == 0 and calls == []
    assert xdist_tool.run_clean(2, ["t::a", "t::new"]) == 7
    command = calls[-1]
    assert command[command.index("-n") + 1] == "2" and {"t::a", "t::new"} <= set(command)
    monkeypatch.setattr(xdist_tool, "_STATS_PASSED", None)
    assert xdist_tool.run_clean(2, ["t::a"]) == 7


def test_mutmut_is_pointed_at_the_xdist_passes(xdist_tool, monkeypatch: pytest.MonkeyPatch) -> None:
    import mutmut.mutation.trampoline as trampoline
    from mutmut.runners.harness import PytestRunner
    from mutmut.workers.isolation import ForkRunner, ForkServerRunner

    monkeypatch.setattr(trampoline, "wrap_in_trampoline", trampoline.wrap_in_trampoline)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for cls, name in [
        (PytestRunner, "run_stats"),
        (ForkRunner, "run_clean_tests"),
        (ForkServerRunner, "run_clean_tests"),
    ]:
        monkeypatch.setattr(cls, name, getattr(cls, name))
    seen: list[tuple] = []
    monkeypatch.setattr(xdist_tool, "run_stats", lambda jobs, tests: seen.append(("s", jobs)) or 0)
    monkeypatch.setattr(xdist_tool, "run_clean", lambda jobs, tests: seen.append(("c", jobs)) or 0)
    xdist_tool.install(3)
    PytestRunner.__new__(PytestRunner).run_stats(tests=[])
    ForkRunner.__new__(ForkRunner).run_clean_tests([])
    ForkServerRunner.__new__(ForkServerRunner).run_clean_tests([])
    assert seen == [("s", 3), ("c", 3), ("c", 3)]
    assert getattr(trampoline.wrap_in_trampoline, "chooses", False)  # tools/mutation_trampolines
    assert sys.modules.get("mutmut_xdist") is None  # loaded from its file, not installed


DURATIONS = {
    "tests/unit/t.py::slow": 3.0,
    "tests/unit/t.py::fast": 0.1,
    "scenarios/c/a.yaml::one": 0.5,
    "features/x.feature::two": 0.2,
    "scenarios/c/b.yaml::slow": 4.0,
}


def test_scenario_tests_run_first_each_phase_fastest_first(xdist_tool) -> None:
    plan = xdist_tool.plan_phases(DURATIONS, DURATIONS, budget=0)
    assert plan == [
        (
            "scenarios",
            ["features/x.feature::two", "scenarios/c/a.yaml::one", "scenarios/c/b.yaml::slow"],
            0,
        ),
        ("rest", ["tests/unit/t.py::fast", "tests/unit/t.py::slow"], 0),
    ]


def test_the_budget_keeps_the_fastest_tests_within_it_and_counts_the_rest(xdist_tool) -> None:
    plan = xdist_tool.plan_phases(DURATIONS, DURATIONS, budget=1.0)
    assert plan == [
        ("scenarios", ["features/x.feature::two", "scenarios/c/a.yaml::one"], 1),
        ("rest", ["tests/unit/t.py::fast"], 1),
    ]
    # a phase whose fastest test is over the budget still runs that one test
    assert xdist_tool.plan_phases(["tests/unit/t.py::slow"], DURATIONS, budget=1.0) == [
        ("rest", ["tests/unit/t.py::slow"], 0)
    ]


def _phased(xdist_tool, tmp_path: Path, codes: dict[str, int], tests=DURATIONS):
    ran: list[list[str]] = []

    def run(chosen: list[str]) -> int:
        ran.append(chosen)
        return codes["scenarios" if chosen[0].startswith(("scenarios/", "features/")) else "rest"]

    record = tmp_path / "m.x_f__mutmut_1.json"
    code = xdist_tool.run_in_phases(run, record, tests, DURATIONS, 0)
    return code, ran, json.loads(record.read_text())


def test_a_mutant_killed_by_a_scenario_does_not_run_the_rest(xdist_tool, tmp_path: Path) -> None:
    code, ran, record = _phased(xdist_tool, tmp_path, {"scenarios": 1, "rest": 0})
    assert code == 1 and len(ran) == 1
    assert record == {
        "scenarios": {"tests": 3, "cut": 0, "code": 1},
        "rest": {"tests": 2, "cut": 0},
    }


def test_a_mutant_the_scenarios_miss_runs_the_rest_and_both_codes_are_kept(
    xdist_tool, tmp_path: Path
) -> None:
    code, ran, record = _phased(xdist_tool, tmp_path, {"scenarios": 0, "rest": 1})
    assert code == 1 and len(ran) == 2
    assert record["scenarios"]["code"] == 0 and record["rest"]["code"] == 1
    code, _, record = _phased(xdist_tool, tmp_path, {"scenarios": 0, "rest": 0})
    assert code == 0 and record["rest"]["code"] == 0
    # nothing collected in a phase kills nothing
    code, _, _ = _phased(xdist_tool, tmp_path, {"scenarios": 5, "rest": 0})
    assert code == 0


def test_a_mutant_without_scenario_tests_has_no_scenario_phase(xdist_tool, tmp_path: Path) -> None:
    code, ran, record = _phased(xdist_tool, tmp_path, {"rest": 0}, ["tests/unit/t.py::fast"])
    assert code == 0 and ran == [["tests/unit/t.py::fast"]]
    assert record == {"rest": {"tests": 1, "cut": 0, "code": 0}}
