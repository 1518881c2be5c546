"""Load runs in Gherkin: "When 200 chats per second run for 30 seconds", on the same engine
(the ``load.run`` action), then sentences about the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_bdd import parsers, then, when

from prism_scenarios.bdd.steps import params_from, where

if TYPE_CHECKING:
    from prism_scenarios.engine import ScenarioRun

_LAST = "${load}"
# What a sentence's noun runs: a scenario of the functional suites, by name.
NOUNS: dict[str, dict[str, Any]] = {
    "chats": {"scenario": "a three-turn conversation is stored exactly"},
    "RAG questions": {"scenario": "answers are grounded in aligned, fully counted knowledge"},
    "panel discussions": {
        "scenario": "three personas discuss, agree and the insight reaches memory"
    },
}
_PERCENTILES = {
    "p50": "med_ms",
    "p90": "p90_ms",
    "p95": "p95_ms",
    "p99": "p99_ms",
    "p99.9": "p99_9_ms",
}
_NUMBER = r"\d+(?:\.\d+)?"


def _run(scenario_run: ScenarioRun, request, params: dict[str, Any], docstring: str | None) -> None:
    if docstring:
        params["thresholds"] = params_from(docstring)
    scenario_run.step("load.run", params, where=where(request), save={"load": "@"})


@when(
    parsers.re(
        rf"(?P<rate>{_NUMBER}) (?P<noun>{'|'.join(NOUNS)}) per second run for "
        rf"(?P<seconds>{_NUMBER}) seconds?(?: with the thresholds:)?$"
    )
)
def noun_per_second(
    scenario_run: ScenarioRun,
    request,
    rate: str,
    noun: str,
    seconds: str,
    docstring: str | None = None,
) -> None:
    """An open model: ``rate`` arrivals per second of the noun's scenario."""
    _run(
        scenario_run,
        request,
        {"mix": [NOUNS[noun]], "rate": float(rate), "duration": float(seconds)},
        docstring,
    )


@when(
    parsers.re(
        rf'(?P<rate>{_NUMBER}) iterations of "(?P<scenario>[^"]+)" per second run '
        rf"for (?P<seconds>{_NUMBER}) seconds?(?: with the thresholds:)?$"
    )
)
def scenario_per_second(
    scenario_run: ScenarioRun,
    request,
    rate: str,
    scenario: str,
    seconds: str,
    docstring: str | None = None,
) -> None:
    _run(
        scenario_run,
        request,
        {"mix": [{"scenario": scenario}], "rate": float(rate), "duration": float(seconds)},
        docstring,
    )


@when(
    parsers.re(
        rf'(?P<users>\d+) users? loop "(?P<scenario>[^"]+)" for '
        rf"(?P<seconds>{_NUMBER}) seconds?(?: with the thresholds:)?$"
    )
)
def users_loop(
    scenario_run: ScenarioRun,
    request,
    users: str,
    scenario: str,
    seconds: str,
    docstring: str | None = None,
) -> None:
    """A closed model (tail latencies are optimistic: see docs/load.md)."""
    _run(
        scenario_run,
        request,
        {"mix": [{"scenario": scenario}], "users": int(users), "duration": float(seconds)},
        docstring,
    )


@when(
    parsers.re(
        r'the load file "(?P<file>[^"]+)" runs(?: with its "(?P<profile>\w+)" '
        r"profile)?$"
    )
)
def load_file_runs(scenario_run: ScenarioRun, request, file: str, profile: str | None) -> None:
    _run(scenario_run, request, {"file": file, **({"profile": profile} if profile else {})}, None)


def _check(scenario_run: ScenarioRun, request, label: str, expect: list[dict]) -> None:
    scenario_run.step(
        "expect.value", {"value": _LAST}, where=where(request), label=label, expect=expect
    )


@then("the load meets its thresholds")
def meets_thresholds(scenario_run: ScenarioRun, request) -> None:
    _check(
        scenario_run,
        request,
        "the load meets its thresholds",
        [
            {"path": "thresholds[?!passed].threshold", "equals": []},
            {"path": "passed", "equals": True},
        ],
    )


@then("the load breaches its thresholds")
def breaches_thresholds(scenario_run: ScenarioRun, request) -> None:
    _check(
        scenario_run,
        request,
        "the load breaches its thresholds",
        [{"path": "passed", "equals": False}],
    )


_PCT = "|".join(p.replace(".", "[.]") for p in _PERCENTILES)


@then(
    parsers.re(
        rf"the load (?P<pct>{_PCT}) "
        rf'(?:of "(?P<metric>[^"]+)" )?is below (?P<ms>{_NUMBER}) ms$'
    )
)
def percentile_below(
    scenario_run: ScenarioRun, request, pct: str, metric: str | None, ms: str
) -> None:
    """``metric``: ``iterations`` (default), ``scenario:<name>`` or ``action:<name>``."""
    path = f'metrics."{metric or "iterations"}".{_PERCENTILES[pct]}'
    _check(
        scenario_run, request, f"the load {pct} is below {ms} ms", [{"path": path, "lt": float(ms)}]
    )


@then(parsers.re(rf"the load success rate is at least (?P<rate>{_NUMBER})$"))
def success_rate(scenario_run: ScenarioRun, request, rate: str) -> None:
    _check(
        scenario_run,
        request,
        f"the load success rate is at least {rate}",
        [{"path": "metrics.iterations.rate", "ge": float(rate)}],
    )


@then("no load arrival was dropped")
def nothing_dropped(scenario_run: ScenarioRun, request) -> None:
    _check(
        scenario_run,
        request,
        "no load arrival was dropped",
        [{"path": "dropped", "equals": 0}, {"path": "started", "gt": 0}],
    )
