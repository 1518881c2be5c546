"""Fuzz mode exactly (prism_scenarios.fuzz): which errors are findings, values as YAML carries
them, the strategies' shapes, a finding written as a scenario, and what fuzz() prints."""

from __future__ import annotations

import enum
from collections import abc
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from flatfile_chat.errors import FFError, NotFound
from prism_scenarios import fuzz
from prism_scenarios.actions.registry import Params
from prism_scenarios.errors import (
    ExpectationFailed,
    InvariantBreach,
    ScenarioError,
    ScenarioFailure,
)

FAST = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


# -- which errors are findings ----------------------------------------------------------------
def test_declared_errors_are_not_findings_anything_else_is() -> None:
    breach = InvariantBreach("root escaped")
    assert fuzz._undeclared(breach) is breach
    assert fuzz._undeclared(NotFound("x", key="k")) is None
    assert fuzz._undeclared(ScenarioError("bad file")) is None
    assert fuzz._undeclared(ScenarioFailure("failed")) is None
    bug = KeyError("bug")
    assert fuzz._undeclared(bug) is bug


@pytest.mark.parametrize(
    "cause, found",
    [(NotFound("x", key="k"), False), (ScenarioError("y"), False), (KeyError("z"), True)],
)
def test_an_expectation_failure_stands_for_its_cause(cause: BaseException, found: bool) -> None:
    failed = ExpectationFailed("step raised")
    failed.__cause__ = cause
    assert fuzz._undeclared(failed) is (cause if found else None)
    assert fuzz._undeclared(ExpectationFailed("no cause")) is None
    assert isinstance(NotFound("x", key="k"), FFError)


class Colour(enum.Enum):
    RED = "red"


def test_plain_values_as_yaml_carries_them() -> None:
    assert fuzz._plain(Colour.RED) == "red"
    for value in ("s", 3, 2.5, True, None):
        assert fuzz._plain(value) is value
    assert fuzz._plain(Path("/a/b")) == "/a/b"
    assert fuzz._plain(b"x") == "b'x'"


# -- strategies -------------------------------------------------------------------------------
class Inner(BaseModel):
    n: int


class Model(BaseModel):
    name: str
    kind: Literal["a", "b"]
    tags: list[str]
    pair: tuple[int, str]
    rest: tuple[int, ...]
    lookup: dict[str, int]
    inner: Inner
    maybe: int | None = None
    limit: Annotated[int, "meta"] = 1
    scaled: int = Field(3, json_schema_extra={"fuzz_max": 5})
    ratio: float | None = Field(None, json_schema_extra={"fuzz_max": 2.5})
    any_value: Any = None
    aliased: str = Field("x", alias="alias")


def _check(strategy: st.SearchStrategy[Any], check: Any) -> None:
    @FAST
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    run()


def test_model_strategy_draws_what_the_model_accepts() -> None:
    def check(params: dict[str, Any]) -> None:
        assert {"name", "kind", "tags", "pair", "rest", "lookup", "inner"} <= set(params)
        assert set(params) <= {
            *Model.model_fields,
            "alias",
        } - {"aliased"}
        assert isinstance(params["name"], str)
        assert params["kind"] in ("a", "b")
        assert isinstance(params["tags"], list) and len(params["tags"]) <= 4
        assert all(isinstance(t, str) for t in params["tags"])
        assert isinstance(params["pair"], list) and len(params["pair"]) == 2
        assert isinstance(params["pair"][0], int) and isinstance(params["pair"][1], str)
        assert isinstance(params["rest"], list) and len(params["rest"]) <= 4
        assert isinstance(params["lookup"], dict) and len(params["lookup"]) <= 4
        assert isinstance(params["inner"], dict) and isinstance(params["inner"]["n"], int)
        if "scaled" in params:
            assert params["scaled"] <= 5 and isinstance(params["scaled"], int)
        if params.get("ratio") is not None:
            assert params["ratio"] <= 2.5
        if "maybe" in params:
            assert params["maybe"] is None or isinstance(params["maybe"], int)
        if "limit" in params:
            assert isinstance(params["limit"], int) and not isinstance(params["limit"], bool)
        Model.model_validate(params)  # every drawn set is valid

    _check(fuzz.model_strategy(Model), check)


def test_optional_fields_are_sometimes_left_out_and_sometimes_given() -> None:
    from hypothesis import find

    strategy = fuzz.model_strategy(Model)
    steady = settings(database=None, derandomize=True, max_examples=500)
    assert "maybe" not in find(strategy, lambda p: True, settings=steady)  # simplest: left out
    assert find(strategy, lambda p: "alias" in p, settings=steady)["alias"] == ""


@pytest.mark.parametrize(
    "tp, check",
    [
        (str, lambda v: isinstance(v, str)),
        (bool, lambda v: isinstance(v, bool)),
        (type(None), lambda v: v is None),
        (float, lambda v: isinstance(v, float) and v == v),
        (set[int], lambda v: isinstance(v, list) and all(isinstance(i, int) for i in v)),
        (frozenset[str], lambda v: isinstance(v, list) and len(v) <= 4),
        (list[int], lambda v: isinstance(v, list) and len(v) <= 4),
        (dict[str, int], lambda v: isinstance(v, dict) and len(v) <= 4),
        # the abstract containers too: a Mapping is a dict, a Sequence a list
        (abc.Mapping[str, int], lambda v: isinstance(v, dict) and len(v) <= 4),
        (abc.Sequence[int], lambda v: isinstance(v, list) and len(v) <= 4),
        (Colour, lambda v: v == "red"),
        (Any, lambda v: v is None or isinstance(v, bool | int | float | str | list | dict)),
    ],
)
def test_type_strategy_gives_yaml_values_of_the_type(tp: Any, check: Any) -> None:
    _check(fuzz.type_strategy(tp), lambda v: check(v) or pytest.fail(repr(v)))


@pytest.mark.parametrize(
    "tp, top, check",
    [
        (int, 7, lambda v: isinstance(v, int) and v <= 7),
        (float, 1.5, lambda v: isinstance(v, float) and v <= 1.5 and v == v),
        (int | None, 2, lambda v: v is None or v <= 2),
        (Annotated[int, "x"], 3, lambda v: isinstance(v, int) and v <= 3),
        (str, 1, lambda v: isinstance(v, str)),
    ],
)
def test_bounded_strategy_keeps_numbers_at_most_the_top(tp: Any, top: float, check: Any) -> None:
    _check(fuzz.bounded_strategy(tp, top), lambda v: check(v) or pytest.fail(repr(v)))


def test_params_strategy_never_adds_an_id_the_model_does_not_have() -> None:
    class Only(BaseModel):
        user_id: str

    action = type("A", (), {"params": Only})()
    _check(fuzz.params_strategy(action), lambda p: set(p) == {"user_id"})  # type: ignore[arg-type]
    from hypothesis import find

    steady = settings(database=None, derandomize=True, max_examples=500)
    assert find(
        fuzz.params_strategy(action),  # type: ignore[arg-type]
        lambda p: p["user_id"] == fuzz.FUZZ_USER,
        settings=steady,
    ) == {  # type: ignore[arg-type]
        "user_id": "fuzz_user"
    }


class Text(Params):
    text: str


# -- a finding as a scenario ------------------------------------------------------------------
FINDING = fuzz.Finding(
    action="kb.ingest",
    error="KeyError",
    message="first line of it\nsecond line",
    params={"user_id": "fuzz_user", "text": "é"},
    seed=9,
)


def test_scenario_document_of_a_finding() -> None:
    assert fuzz.scenario_document(FINDING) == {
        "description": "Fuzz finding for kb.ingest (seed 9): KeyError: first line of it",
        "tags": ["fuzz"],
        "scenarios": [
            {
                "name": "fuzz kb.ingest raises KeyError",
                "steps": [*fuzz.PRELUDE, {"kb.ingest": {"user_id": "fuzz_user", "text": "é"}}],
            }
        ],
    }
    long = fuzz.Finding("a.b", "E", "x" * 300, {}, 1)
    assert fuzz.scenario_document(long)["description"].endswith(": E: " + "x" * 200)
    empty = fuzz.Finding("a.b", "E", "", {}, 1)
    assert fuzz.scenario_document(empty)["description"] == "Fuzz finding for a.b (seed 1): E: "


def test_write_scenario_names_the_file_by_action_and_error(tmp_path: Path) -> None:
    finding = fuzz.Finding(**{**FINDING.__dict__, "scenario_file": None})
    finding.action = "kb.ingest-v2"
    out = tmp_path / "new" / "out"
    path = fuzz.write_scenario(finding, out)
    assert path == out / "kb_ingest_v2_KeyError.yaml"
    assert finding.scenario_file == path
    text = path.read_text()
    assert text.startswith("description: 'Fuzz finding for kb.ingest-v2 (seed 9): KeyError: ")
    assert '"\\xE9"' in text  # not unicode: escaped
    assert yaml.safe_load(text) == fuzz.scenario_document(finding)
    odd = fuzz.Finding("..x..", "Err!", "m", {}, 0)
    assert fuzz.write_scenario(odd, tmp_path).name == "x__Err.yaml"


def test_fuzz_refuses_unknown_actions_by_name() -> None:
    with pytest.raises(KeyError) as caught:
        fuzz.fuzz(["user.create", "no.such", "nor.this"], examples=1, echo=lambda *_: None)
    assert caught.value.args[0] == "unknown action(s): no.such, nor.this"


def test_fuzz_prints_each_finding_and_where_it_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake(action: Any, **kw: Any) -> fuzz.Finding | None:
        calls.append((action.name, kw))
        if action.name == "user.create":
            return None
        message = "boom " + "y" * 200 + "\nmore" if action.name == "session.create" else ""
        return fuzz.Finding(action.name, "KeyError", message, {"a": 1}, kw["seed"])

    monkeypatch.setattr(fuzz, "fuzz_action", fake)
    printed: list[str] = []
    findings = fuzz.fuzz(
        ["user.create", "session.create", "session.get"],
        examples=3,
        seed=5,
        out_dir=tmp_path,
        echo=printed.append,
        timeout=2.0,
    )
    assert [c[0] for c in calls] == ["user.create", "session.create", "session.get"]
    assert {k: v for k, v in calls[0][1].items() if k != "registry"} == {
        "examples": 3,
        "seed": 5,
        "timeout": 2.0,
    }
    assert [f.action for f in findings] == ["session.create", "session.get"]
    assert printed == [
        f"FINDING session.create: KeyError: {('boom ' + 'y' * 200)[:160]}\n"
        f"  reproduce: prism-scenarios run {tmp_path / 'session_create_KeyError.yaml'}",
        "FINDING session.get: KeyError: \n"
        f"  reproduce: prism-scenarios run {tmp_path / 'session_get_KeyError.yaml'}",
    ]
    printed.clear()
    fuzz.fuzz(["session.get"], examples=1, echo=printed.append)
    assert printed == ["FINDING session.get: KeyError: "]  # nothing written: no reproduce line


def test_fuzz_action_reports_the_shrunk_params_and_a_clipped_message() -> None:
    from prism_scenarios.actions.registry import ActionRegistry, action, load_actions

    real = load_actions()
    registry = ActionRegistry()
    for name in ("user.create", "session.create"):
        registry.register(real.get(name))

    @action("test.long", component="runner", registry=registry)
    async def long(world: Any, p: Text) -> None:
        """Fails with a long message."""
        raise KeyError("  " + "z" * 600 + "  ")

    finding = fuzz.fuzz_action(registry.get("test.long"), examples=5, seed=2, registry=registry)
    assert finding is not None
    assert (finding.action, finding.error, finding.seed) == ("test.long", "KeyError", 2)
    assert finding.params == {"text": ""}
    assert finding.message == repr("  " + "z" * 600 + "  ")[:500]
    assert finding.scenario_file is None
