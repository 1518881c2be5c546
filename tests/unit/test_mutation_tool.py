"""tools/mutation.py: the sample is reproducible, the score counts what it says it counts."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("mutation_tool", REPO / "tools" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_tool"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("mutation_tool", None)


def _population() -> dict[str, str]:
    population = {f"pkg.a.x_f__mutmut_{i}": "pkg/a.py" for i in range(1, 91)}
    population |= {f"pkg.b.x_g__mutmut_{i}": "pkg/b.py" for i in range(1, 10)}
    population["pkg.c.x_h__mutmut_1"] = "pkg/c.py"
    return population


def test_the_sample_is_seeded_and_gives_each_file_its_share(mutation) -> None:
    population = _population()
    first = mutation.sample(population, 20, seed=15)
    assert first == mutation.sample(population, 20, seed=15)
    assert first != mutation.sample(population, 20, seed=16)
    assert 18 <= len(first) <= 22
    assert len(set(first)) == len(first)
    share_a = sum(population[n] == "pkg/a.py" for n in first)
    assert 17 <= share_a <= 19  # 90 of 100 mutants -> about 18 of 20


def test_a_small_file_is_drawn_as_often_as_its_size_says(mutation) -> None:
    # one mutant of 100 at a 20% sample: drawn in about a fifth of the seeds, not always
    population = _population()
    drawn = sum(
        "pkg.c.x_h__mutmut_1" in mutation.sample(population, 20, seed) for seed in range(400)
    )
    assert 50 <= drawn <= 110


def test_no_size_means_every_mutant(mutation) -> None:
    population = _population()
    assert mutation.sample(population, None, seed=1) == sorted(population)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, "killed"),
        (3, "killed"),
        (36, "killed"),
        (-24, "killed"),
        (0, "survived"),
        (33, "no tests"),
        (5, "no tests"),
        (None, "not checked"),
        (37, "other (37)"),
    ],
)
def test_mutmut_exit_codes_map_to_statuses(mutation, code, status) -> None:
    assert mutation._status(code) == status


def test_the_score_counts_untested_mutants_as_missed_and_leaves_equivalents_out(
    mutation, monkeypatch
) -> None:
    sources = {f"m{i}": "pkg/a.py" for i in range(12)} | {"n0": "pkg/b.py", "n1": "pkg/b.py"}
    result = {f"m{i}": "killed" for i in range(8)}
    result |= {"m8": "survived", "m9": "survived", "m10": "no tests", "m11": "survived"}
    result |= {"n0": "killed", "n1": "not checked"}
    monkeypatch.setattr(mutation, "equivalent_mutants", lambda: {"m11": "same result"})
    summary = mutation.summarise(mutation.SUITES["all"], result, sources)
    a = summary["modules"]["pkg.a"]
    assert (a["killed"], a["survived"], a["no tests"], a["equivalent"]) == (8, 2, 1, 1)
    assert a["judged"] == 11
    assert a["score"] == pytest.approx(8 / 11)
    assert summary["modules_below_goal"] == ["pkg.a"]  # 72.7% with 11 judged
    assert summary["modules"]["pkg.b"]["judged"] == 1  # not checked is not judged
    assert summary["score"] == pytest.approx(9 / 12)
    assert summary["goal_met"] is False


def test_a_module_with_few_judged_mutants_is_not_judged(mutation, monkeypatch) -> None:
    monkeypatch.setattr(mutation, "equivalent_mutants", dict)
    sources = {f"m{i}": "pkg/a.py" for i in range(9)}
    result = {f"m{i}": "survived" for i in range(9)}
    summary = mutation.summarise(mutation.SUITES["all"], result, sources)
    assert summary["modules"]["pkg.a"]["score"] == 0.0
    assert summary["modules_below_goal"] == []


def test_the_goal_is_met_at_the_threshold(mutation, monkeypatch) -> None:
    monkeypatch.setattr(mutation, "equivalent_mutants", dict)
    sources = {f"m{i}": f"pkg/f{i % 3}.py" for i in range(20)}
    result = {f"m{i}": "killed" if i < 17 else "survived" for i in range(20)}
    summary = mutation.summarise(mutation.SUITES["all"], result, sources)
    assert summary["score"] == pytest.approx(0.85)
    assert summary["goal_met"] is True


def test_each_suite_gets_its_own_selection_and_keeps_the_rest_of_pyproject(mutation) -> None:
    text = (REPO / "pyproject.toml").read_text()
    scenarios = tomllib.loads(mutation._with_suite_config(text, mutation.SUITES["scenarios"]))
    config = scenarios["tool"]["mutmut"]
    assert config["source_paths"] == ["flatfile_chat"]
    assert config["pytest_add_cli_args_test_selection"][:2] == ["scenarios", "features"]
    assert "tests/unit" not in config["pytest_add_cli_args_test_selection"]
    assert "prism_scenarios" in config["also_copy"]  # importable, not mutated
    original = tomllib.loads(text)
    assert scenarios["project"] == original["project"]
    assert scenarios["tool"]["importlinter"] == original["tool"]["importlinter"]
    whole = tomllib.loads(mutation._with_suite_config(text, mutation.SUITES["all"]))
    assert whole["tool"]["mutmut"]["source_paths"] == ["flatfile_chat", "prism_scenarios"]
    assert "prism_scenarios" not in whole["tool"]["mutmut"]["also_copy"]


def test_every_equivalent_mutant_has_a_reason(mutation) -> None:
    equivalent = mutation.equivalent_mutants()
    assert all(isinstance(r, str) and len(r) > 20 for r in equivalent.values()), equivalent


def test_a_local_look_mutates_only_the_named_files(mutation) -> None:
    text = (REPO / "pyproject.toml").read_text()
    suite = mutation.Suite("x", ("flatfile_chat",), ("tests/unit/store",), 0.85, ("a/*",))
    config = tomllib.loads(mutation._with_suite_config(text, suite))["tool"]["mutmut"]
    assert config["only_mutate"] == ["a/*"]
    assert config["pytest_add_cli_args_test_selection"] == ["tests/unit/store"]
    whole = mutation._with_suite_config(text, mutation.SUITES["all"])
    assert "only_mutate" not in tomllib.loads(whole)["tool"]["mutmut"]
    # a copy made from a sampled copy's pyproject mutates everything again
    again = mutation._with_suite_config(
        mutation._with_suite_config(text, suite), mutation.SUITES["all"]
    )
    assert "only_mutate" not in tomllib.loads(again)["tool"]["mutmut"]


def test_spinner_redraws_stay_out_of_the_log_and_phases_stay_in(mutation) -> None:
    assert mutation._is_spinner("⠋ 12/629  🎉 10 🙁 2")
    assert not mutation._is_spinner("    done")
    assert not mutation._is_spinner("🙁 flatfile_chat.store.x_f__mutmut_1")


SOURCE = """\
def kept(a, b):
    return a + b


def dropped(a):
    if a > 1:
        return a * 2
    return 0


class Box:
    def kept_method(self, x):
        return x - 1

    def dropped_method(self, x):  # noqa: ARG002
        return x or 3
"""


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch):
    """tools/mutation_generate.py, with mutmut's generation restored after the test."""
    import mutmut.__main__ as mutmut_main
    import mutmut.mutation.file_mutation as file_mutation

    monkeypatch.setattr(
        file_mutation,
        "function_trampoline_arrangement",
        file_mutation.function_trampoline_arrangement,
    )
    monkeypatch.setattr(mutmut_main, "create_file_mutants", mutmut_main.create_file_mutants)
    spec = importlib.util.spec_from_file_location(
        "mutation_generate", REPO / "tools" / "mutation_generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutate(generator, wanted: set[str] | None, monkeypatch: pytest.MonkeyPatch):
    """SOURCE through mutmut's file mutation with the generator's per-function step."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    generator.install(None)
    monkeypatch.setattr(generator, "_wanted", wanted)
    return mutate_file_contents("boxmod.py", SOURCE)


def _functions(code: str) -> dict[str, str]:
    import ast

    found = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FunctionDef):
            found[node.name] = ast.unparse(node)
    return found


def test_naming_gives_mutmuts_names_and_renders_nothing(generator, monkeypatch) -> None:
    from mutmut.mutation.file_mutation import mutate_file_contents

    every = mutate_file_contents("boxmod.py", SOURCE)  # mutmut's own generation
    named = _mutate(generator, None, monkeypatch)
    assert sorted(named.mutant_names) == sorted(every.mutant_names)
    assert len(every.mutant_names) == 10
    assert "__mutmut" not in named.code.split("MutantDict", 1)[1]  # no function copies


def test_a_sample_writes_only_its_mutants_as_mutmut_writes_them(
    generator, tmp_path, monkeypatch
) -> None:
    from mutmut.mutation.file_mutation import mutate_file_contents

    every = mutate_file_contents("boxmod.py", SOURCE)
    wanted = {"x_kept__mutmut_1", "xǁBoxǁkept_method__mutmut_2"}
    sampled = _mutate(generator, wanted, monkeypatch)
    assert sorted(sampled.mutant_names) == sorted(wanted)
    mine, theirs = _functions(sampled.code), _functions(every.code)
    for name in [*wanted, "x_kept__mutmut_orig", "xǁBoxǁkept_method__mutmut_orig"]:
        assert mine[name] == theirs[name]  # same code under the same number
    assert not any(n.startswith(("x_dropped", "xǁBoxǁdropped")) for n in mine)
    # imported: the sampled mutants switch on by name; the other functions run as written
    # (imported with no mutant active: inside a mutation run this test runs with one set)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "")
    (tmp_path / "boxmod.py").write_text(sampled.code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "boxmod", raising=False)
    import boxmod

    assert hasattr(boxmod.kept, "__wrapped__") and not hasattr(boxmod.dropped, "__wrapped__")
    assert not hasattr(boxmod.Box.dropped_method, "__wrapped__")
    monkeypatch.setenv("MUTANT_UNDER_TEST", "boxmod.x_kept__mutmut_1")
    assert boxmod.kept(2, 3) == -1  # mutmut's first mutant of `a + b` is `a - b`
    monkeypatch.setenv("MUTANT_UNDER_TEST", "boxmod.xǁBoxǁkept_method__mutmut_2")
    assert boxmod.Box().kept_method(5) != 4
    from mutmut.state import state

    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    state()._stats.clear()
    boxmod.dropped(2)
    boxmod.kept(1, 1)
    assert state()._stats == {"boxmod.x_kept"}  # the test map sees sampled functions only
    state()._stats.clear()


@pytest.fixture
def trampolines(monkeypatch: pytest.MonkeyPatch):
    """tools/mutation_trampolines.py, with mutmut's decorator restored after the test."""
    import mutmut.mutation.trampoline as trampoline

    monkeypatch.setattr(trampoline, "wrap_in_trampoline", trampoline.wrap_in_trampoline)
    spec = importlib.util.spec_from_file_location(
        "mutation_trampolines", REPO / "tools" / "mutation_trampolines.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install()
    return module


def _import_every_mutant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, active: str):
    from mutmut.mutation.file_mutation import mutate_file_contents

    monkeypatch.setenv("MUTANT_UNDER_TEST", active)
    (tmp_path / "boxmod.py").write_text(mutate_file_contents("boxmod.py", SOURCE).code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "boxmod", raising=False)
    import boxmod

    return boxmod


def test_the_stats_pass_records_hits_without_mutmuts_trampolines(
    trampolines, tmp_path, monkeypatch
) -> None:
    from mutmut.state import state

    boxmod = _import_every_mutant(tmp_path, monkeypatch, "stats")
    assert boxmod.kept.__code__.co_name == "recorder"  # not mutmut's per-call dispatch
    state()._stats.clear()
    assert boxmod.kept(2, 3) == 5 and boxmod.Box().kept_method(5) == 4
    # the names mutmut's own trampolines record
    assert state()._stats == {"boxmod.x_kept", "boxmod.xǁBoxǁkept_method"}
    state()._stats.clear()


def test_a_mutants_run_keeps_only_its_functions_trampoline(
    trampolines, tmp_path, monkeypatch
) -> None:
    boxmod = _import_every_mutant(tmp_path, monkeypatch, "boxmod.x_kept__mutmut_1")
    assert boxmod.kept(2, 3) == -1  # the mutant runs
    assert hasattr(boxmod.kept, "__wrapped__")
    assert not hasattr(boxmod.dropped, "__wrapped__")  # the rest runs as written
    assert not hasattr(boxmod.Box.kept_method, "__wrapped__")
    assert boxmod.Box().kept_method(5) == 4


def test_the_forced_fail_check_keeps_every_trampoline(trampolines, tmp_path, monkeypatch) -> None:
    from mutmut.core import MutmutProgrammaticFailException

    boxmod = _import_every_mutant(tmp_path, monkeypatch, "fail")
    for call in (lambda: boxmod.kept(1, 1), lambda: boxmod.Box().dropped_method(1)):
        with pytest.raises(MutmutProgrammaticFailException):
            call()


def test_a_mangled_name_is_mutmuts(trampolines) -> None:
    def f() -> None: ...

    class C:
        def m(self) -> None: ...

    assert trampolines.mangled_name(C.m) is None  # nested in a test: not mutmut's to wrap
    f.__qualname__, C.m.__qualname__ = "f", "C.m"
    assert trampolines.mangled_name(f) == f"{__name__}.x_f"
    assert trampolines.mangled_name(C.m) == f"{__name__}.xǁCǁm"


def test_the_generator_is_told_each_files_sample(generator, monkeypatch) -> None:
    seen = []
    generator.install({"pkg/a.py": {"x_f__mutmut_1"}})
    monkeypatch.setattr(
        generator,
        "_original_create_file_mutants",
        lambda p: seen.append((p.as_posix(), generator._wanted)),
    )
    generator.create_file_mutants(Path("pkg/a.py"))
    generator.create_file_mutants(Path("pkg/b.py"))
    assert seen == [("pkg/a.py", {"x_f__mutmut_1"}), ("pkg/b.py", set())]
    assert generator.local_name("a.b.xǁCǁm__mutmut_3") == "xǁCǁm__mutmut_3"


def test_the_scenario_score_comes_from_the_scenario_phase_of_the_same_run(mutation) -> None:
    sources = {
        "flatfile_chat.a.x_f__mutmut_1": "flatfile_chat/a.py",
        "flatfile_chat.a.x_f__mutmut_2": "flatfile_chat/a.py",
        "flatfile_chat.a.x_f__mutmut_3": "flatfile_chat/a.py",
        "flatfile_chat.a.x_f__mutmut_4": "flatfile_chat/a.py",
        "flatfile_chat.a.x_f__mutmut_5": "flatfile_chat/a.py",
        "prism_scenarios.b.x_g__mutmut_1": "prism_scenarios/b.py",
    }
    result = dict.fromkeys(sources, "killed")
    result["flatfile_chat.a.x_f__mutmut_5"] = "no tests"
    records = {
        # killed by a scenario
        "flatfile_chat.a.x_f__mutmut_1": {"scenarios": {"tests": 2, "cut": 0, "code": 1}},
        # missed by the scenarios, killed by a unit test
        "flatfile_chat.a.x_f__mutmut_2": {
            "scenarios": {"tests": 2, "cut": 1, "code": 0},
            "rest": {"tests": 1, "cut": 0, "code": 1},
        },
        # reached by unit tests only
        "flatfile_chat.a.x_f__mutmut_3": {"rest": {"tests": 1, "cut": 0, "code": 1}},
        # stopped by its time limit inside the scenario phase: the run's status stands
        "flatfile_chat.a.x_f__mutmut_4": {"scenarios": {"tests": 9, "cut": 0}},
    }
    decided = mutation.scenario_statuses(result, records, sources)
    assert decided == {
        "flatfile_chat.a.x_f__mutmut_1": "killed",
        "flatfile_chat.a.x_f__mutmut_2": "survived",
        "flatfile_chat.a.x_f__mutmut_3": "no tests",
        "flatfile_chat.a.x_f__mutmut_4": "killed",
        "flatfile_chat.a.x_f__mutmut_5": "no tests",
    }  # the runner's own mutant is not scored against the scenarios
    assert mutation.budget_cut(decided, records, ("scenarios",)) == 1
    assert mutation.budget_cut(result, records, ("scenarios", "rest")) == 0


def test_phase_records_are_read_by_mutant_name(mutation, tmp_path: Path) -> None:
    (tmp_path / "phases").mkdir()
    name = "flatfile_chat.a.xǁCǁm__mutmut_2"
    (tmp_path / "phases" / f"{name}.json").write_text('{"rest": {"tests": 1, "cut": 0}}')
    (tmp_path / "phases" / f"{name}.part").write_text("{")  # a write in progress
    assert mutation.phase_records(tmp_path) == {name: {"rest": {"tests": 1, "cut": 0}}}
