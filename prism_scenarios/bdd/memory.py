"""Memory layers in words: remembering, maintenance as time passes, what the layer files hold,
and search. Every sentence is a thin call to the engine (``memory.*`` and ``files.*`` actions).
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then, when

# the scenario_run fixture comes with prism_scenarios.bdd.steps, loaded first as a step plugin
from prism_scenarios.bdd.steps import scalar, where

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun

LAYER = r"(?P<layer>immediate|short_term|medium_term|long_term|permanent)"


def _memory_folder(user: str) -> str:
    return f"users/{user}/memory_layers"


@given(
    parsers.re(
        r'"(?P<user>[^"]+)" remembers "(?P<content>[^"]*)" in the '
        + LAYER
        + r" layer with relevance (?P<relevance>[0-9.]+)$"
    )
)
@when(
    parsers.re(
        r'"(?P<user>[^"]+)" remembers "(?P<content>[^"]*)" in the '
        + LAYER
        + r" layer with relevance (?P<relevance>[0-9.]+)$"
    )
)
def remembers(
    scenario_run: ScenarioRun, request, user: str, content: str, layer: str, relevance: str
) -> None:
    scenario_run.step(
        "memory.add",
        {"user_id": user, "content": content, "layer": layer, "relevance_score": scalar(relevance)},
        where=where(request),
    )


@when(parsers.re(r'the memory maintenance runs for "(?P<user>[^"]+)"$'))
def maintenance_runs(scenario_run: ScenarioRun, request, user: str) -> None:
    scenario_run.step(
        "memory.maintain",
        {"user_id": user},
        where=where(request),
        expect=[{"path": "success", "equals": True}],
    )


@then(parsers.re(r'"(?P<user>[^"]+)" has (?P<n>\d+) memor(?:y|ies) in ' + LAYER + r"$"))
def has_memories(scenario_run: ScenarioRun, request, user: str, n: str, layer: str) -> None:
    """Counted twice on disk: lines of the layer file and its item_count in the metadata."""
    folder = _memory_folder(user)
    scenario_run.step(
        "files.count_lines",
        {"path": f"{folder}/{layer}.jsonl"},
        where=where(request),
        expect=[{"equals": int(n)}],
    )
    scenario_run.step(
        "files.read_json",
        {"path": f"{folder}/layer_metadata.json"},
        where=where(request),
        expect=[{"path": f"layer_stats.{layer}.item_count", "equals": int(n)}],
    )


@then(parsers.re(r'"(?P<content>[^"]*)" went (?P<path>\w+(?: -> \w+)+) for "(?P<user>[^"]+)"$'))
def promotion_path(scenario_run: ScenarioRun, request, content: str, path: str, user: str) -> None:
    """The item now sits in the last layer named, and its promotion_history records every
    step of the path, in order (``immediate -> short_term -> medium_term``)."""
    layers = path.split(" -> ")
    expected = [rf"{re.escape(a)} -> {re.escape(b)} at \S+" for a, b in itertools.pairwise(layers)]
    quoted = content.replace("'", "\\'")
    scenario_run.step(
        "files.read_jsonl",
        {"path": f"{_memory_folder(user)}/{layers[-1]}.jsonl"},
        where=where(request),
        expect=[
            {
                "path": f"[?content=='{quoted}'] | [0].promotion_history | join('|', @)",
                "matches": "^" + r"\|".join(expected) + "$",
            }
        ],
    )


@when(parsers.re(r'"(?P<user>[^"]+)" searches (?:her|his|their) memory for "(?P<query>[^"]*)"$'))
def searches(scenario_run: ScenarioRun, request, user: str, query: str) -> None:
    scenario_run.step("memory.search", {"user_id": user, "query": query}, where=where(request))


@then("the search finds nothing")
def finds_nothing(scenario_run: ScenarioRun, request) -> None:
    scenario_run.check(
        where=where(request), label="the search finds nothing", expect=[{"equals": []}]
    )


@then(parsers.re(r'the search finds "(?P<content>[^"]*)" first$'))
def finds_first(scenario_run: ScenarioRun, request, content: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f'the search finds "{content}" first',
        expect=[{"path": "[0].content", "equals": content}],
    )


@then(parsers.re(r'the search finds only memories of "(?P<user>[^"]+)"$'))
def finds_only_of(scenario_run: ScenarioRun, request, user: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f'the search finds only "{user}"',
        expect=[{"path": "length(@)", "gt": 0}, {"path": f"[?user_id!='{user}']", "equals": []}],
    )
