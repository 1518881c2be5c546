"""Schema-driven fuzzing: every action's parameters drawn by hypothesis from its pydantic
model (the source of its JSON Schema), each example run by the engine in a fresh world, the
engine's invariants as the oracle.

Why: scenarios test what their authors thought of; the parameter schemas already say what
any caller may send, so hypothesis can send it all. An example runs as a tiny scenario
(:data:`PRELUDE` creates a user and a session and saves their ids, then the fuzzed step, whose
``user_id``/``session_id`` are sometimes those ids so deeper code is reached). A *finding* is
an error that is not declared (an :class:`~flatfile_chat.errors.FFError` or one of the
runner's own :class:`~prism_scenarios.errors.ScenarioFailure`) or any invariant breach;
hypothesis shrinks it and the shrunk example is written as a ready-to-run YAML scenario.
"""

from __future__ import annotations

import enum
import re
import types
import typing
import zlib
from collections import abc
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from pydantic import BaseModel

from flatfile_chat.errors import FFError
from prism_scenarios.actions.registry import Action, ActionRegistry, load_actions
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ExpectationFailed, InvariantBreach, ScenarioFailure

FUZZ_USER = "fuzz_user"
# The fixed prelude of every example (and of every written reproduction).
PRELUDE: list[dict[str, Any]] = [
    {"user.create": {"user_id": FUZZ_USER}},
    {"session.create": {"user_id": FUZZ_USER, "title": "fuzz"}, "save": {"session": "session_id"}},
]
# Parameters that may take an id the prelude saved, instead of a generated value.
SAVED_IDS = {"user_id": FUZZ_USER, "session_id": "${session}"}
STEP_TIMEOUT = 10.0  # seconds; a step still running then is a finding (a hang)
WHERE = "fuzz"


class NoFinding(Exception):
    """Internal: lets hypothesis know an example was fine (never escapes :func:`fuzz_action`)."""


@dataclass
class Finding:
    action: str
    error: str  # the exception type's name (``InvariantBreach`` for a broken invariant)
    message: str
    params: dict[str, Any]  # the shrunk parameters of the fuzzed step
    seed: int
    scenario_file: Path | None = None


def _undeclared(exc: BaseException) -> BaseException | None:
    """The error an example's failure stands for, or None when it is a declared one."""
    if isinstance(exc, InvariantBreach):
        return exc
    if isinstance(exc, ExpectationFailed) and exc.__cause__ is not None:
        cause = exc.__cause__
        return None if isinstance(cause, FFError | ScenarioFailure) else cause
    if isinstance(exc, ScenarioFailure | FFError):
        return None
    return exc


# Any JSON value (for ``Any`` and untyped containers).
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(),
    int: st.integers(),
    float: st.floats(allow_nan=False),
    bool: st.booleans(),
    type(None): st.none(),
    Any: JSON,
}


def _plain(value: Any) -> Any:
    """A value as YAML can carry it (what ``st.from_type`` drew for an exotic type)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    return str(value)


def type_strategy(tp: Any) -> st.SearchStrategy[Any]:
    """Plain (YAML-able) values of type ``tp``, the way a scenario file would give them."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _SCALARS:
        return _SCALARS[tp]
    if origin is Annotated:
        return type_strategy(args[0])
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model_strategy(tp)
    if origin in (Union, types.UnionType):
        return st.one_of(*(type_strategy(a) for a in args))
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (list, set, frozenset, tuple) or (
        isinstance(origin, type)
        and issubclass(origin, abc.Sequence | abc.Set)
        and origin is not str
    ):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return st.tuples(*(type_strategy(a) for a in args)).map(list)
        return st.lists(type_strategy(args[0]) if args else JSON, max_size=4)
    if origin is dict or (isinstance(origin, type) and issubclass(origin, abc.Mapping)):
        keys = type_strategy(args[0]) if args else st.text()
        return st.dictionaries(keys, type_strategy(args[1]) if args else JSON, max_size=4)
    return st.from_type(tp).map(_plain)


def bounded_strategy(tp: Any, top: float) -> st.SearchStrategy[Any]:
    """Numbers of type ``tp`` (``int``, ``float`` or an optional one) at most ``top``: for a
    parameter marked ``fuzz_max`` (it only scales the step's work; see
    :func:`~prism_scenarios.actions.registry.fuzz_max`)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return bounded_strategy(args[0], top)
    if origin in (Union, types.UnionType):
        return st.one_of(*(bounded_strategy(a, top) for a in args))
    if tp is int:
        return st.integers(max_value=int(top))
    if tp is float:
        return st.floats(max_value=float(top), allow_nan=False)
    return type_strategy(tp)


def model_strategy(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Parameter dicts for a pydantic model: every required field, optional ones maybe."""
    required, optional = {}, {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        extra = info.json_schema_extra
        top = extra.get("fuzz_max") if isinstance(extra, dict) else None
        strategy = (
            type_strategy(info.annotation)
            if top is None
            else bounded_strategy(info.annotation, top)
        )
        (required if info.is_required() else optional)[key] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def params_strategy(action: Action) -> st.SearchStrategy[dict[str, Any]]:
    """Parameter sets of ``action``'s model, ``user_id``/``session_id`` sometimes the ids
    the prelude saved."""
    choices = st.lists(st.booleans(), min_size=len(SAVED_IDS), max_size=len(SAVED_IDS))

    def with_ids(pair: tuple[dict[str, Any], list[bool]]) -> dict[str, Any]:
        params, use = pair
        params = dict(params)
        for (key, saved), take in zip(SAVED_IDS.items(), use, strict=True):
            if take and key in params:
                params[key] = saved
        return params

    return st.tuples(model_strategy(action.params), choices).map(with_ids)


def run_steps(
    steps: Iterable[dict[str, Any]],
    *,
    registry: ActionRegistry | None = None,
    timeout: float | None = STEP_TIMEOUT,
) -> None:
    """Run scenario steps (``{action: params, save: ...}``) in a fresh world, like a YAML
    scenario; raises what the engine raises."""
    with ScenarioRun(registry=registry) as run:
        for n, step in enumerate(steps, start=1):
            name = next(k for k in step if k != "save")
            run.step(
                name,
                step[name] or {},
                where=f"{WHERE}:step {n}",
                save=step.get("save"),
                timeout=timeout,
            )


def fuzz_action(
    action: Action,
    *,
    examples: int,
    seed: int,
    registry: ActionRegistry | None = None,
    timeout: float = STEP_TIMEOUT,
) -> Finding | None:
    """Fuzz one action; the shrunk finding, or None when every example was fine."""
    last: dict[str, Any] = {}
    action_seed = seed ^ zlib.crc32(action.name.encode())

    @hypothesis_seed(action_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        phases=(Phase.generate, Phase.target, Phase.shrink),
    )
    @given(params_strategy(action))
    def example(params: dict[str, Any]) -> None:
        try:
            run_steps([*PRELUDE, {action.name: params}], registry=registry, timeout=timeout)
        except Exception as exc:  # judged: a declared error is fine, anything else is found
            found = _undeclared(exc)
            if found is None:
                return
            last.update(params=params, error=found)
            raise
        return

    try:
        example()
    except Exception as exc:  # hypothesis re-raises the shrunk example's error
        error = last.get("error") or exc
        return Finding(
            action=action.name,
            error=type(error).__name__,
            message=str(error).strip()[:500],
            params=last.get("params", {}),
            seed=seed,
        )
    return None


def scenario_document(finding: Finding) -> dict[str, Any]:
    """The finding as a scenario file: the prelude, then the fuzzed step (it fails)."""
    first = finding.message.splitlines()[0][:200] if finding.message else ""
    return {
        "description": f"Fuzz finding for {finding.action} (seed {finding.seed}): "
        f"{finding.error}: {first}",
        "tags": ["fuzz"],
        "scenarios": [
            {
                "name": f"fuzz {finding.action} raises {finding.error}",
                "steps": [*PRELUDE, {finding.action: finding.params}],
            }
        ],
    }


def write_scenario(finding: Finding, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", f"{finding.action}_{finding.error}").strip("_")
    path = out_dir / f"{stem}.yaml"
    path.write_text(
        yaml.safe_dump(scenario_document(finding), sort_keys=False, allow_unicode=False, width=100)
    )
    finding.scenario_file = path
    return path


def fuzz(
    names: list[str] | None = None,
    *,
    examples: int = 25,
    seed: int = 0,
    out_dir: Path | None = None,
    registry: ActionRegistry | None = None,
    echo: Any = print,
    timeout: float = STEP_TIMEOUT,
) -> list[Finding]:
    """Fuzz ``names`` (default: every registered action); write each finding's YAML to
    ``out_dir``."""
    registry = registry or load_actions()
    unknown = [n for n in names or [] if n not in registry]
    if unknown:
        raise KeyError(f"unknown action(s): {', '.join(unknown)}")
    actions = [registry.get(n) for n in names] if names else list(registry)
    findings = []
    for action in actions:
        finding = fuzz_action(
            action, examples=examples, seed=seed, registry=registry, timeout=timeout
        )
        if finding is None:
            continue
        if out_dir is not None:
            write_scenario(finding, out_dir)
        echo(
            f"FINDING {finding.action}: {finding.error}: "
            f"{finding.message.splitlines()[0][:160] if finding.message else ''}"
            + (
                f"\n  reproduce: prism-scenarios run {finding.scenario_file}"
                if finding.scenario_file
                else ""
            )
        )
        findings.append(finding)
    return findings
