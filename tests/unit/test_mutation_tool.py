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


def test_the_sample_is_seeded_and_keeps_every_file(mutation) -> None:
    population = _population()
    first = mutation.sample(population, 20, seed=15)
    assert first == mutation.sample(population, 20, seed=15)
    assert first != mutation.sample(population, 20, seed=16)
    files = {population[name] for name in first}
    assert files == {"pkg/a.py", "pkg/b.py", "pkg/c.py"}  # the one-mutant file too
    assert 18 <= len(first) <= 23
    assert len(set(first)) == len(first)
    share_a = sum(population[n] == "pkg/a.py" for n in first)
    assert 17 <= share_a <= 19  # 90 of 100 mutants -> about 18 of 20


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
    assert (
        "only_mutate"
        not in tomllib.loads(mutation._with_suite_config(text, mutation.SUITES["all"]))["tool"][
            "mutmut"
        ]
    )


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


def _mutant_names(path: Path) -> list[str]:
    from mutmut.mutation.file_mutation import mutate_file_contents

    return sorted(mutate_file_contents(str(path), path.read_text()).mutant_names)


def test_restricting_keeps_only_the_sampled_functions_mutants_with_their_numbers(
    mutation, tmp_path
) -> None:
    pytest.importorskip("mutmut")
    path = tmp_path / "box.py"
    path.write_text(SOURCE)
    every = _mutant_names(path)
    assert any(n.startswith("x_dropped__") for n in every)
    marked = mutation.restrict_to_functions(path, {"x_kept", "xǁBoxǁkept_method"})
    assert marked == 2
    assert "def dropped(a):  # pragma: no mutate block" in path.read_text()
    assert "def dropped_method(self, x):  # pragma: no mutate block" in path.read_text()
    restricted = _mutant_names(path)
    assert restricted == [n for n in every if n.startswith(("x_kept__", "xǁBoxǁkept_method__"))]
    assert restricted  # the kept functions still have their mutants


def test_a_mutant_name_gives_its_function(mutation) -> None:
    assert mutation.mangled_function("flatfile_chat.store.x_f__mutmut_3") == "x_f"
    assert mutation.mangled_function("a.b.xǁC__dǁm__init____mutmut_12") == "xǁC__dǁm__init__"
