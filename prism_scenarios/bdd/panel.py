"""Panel sessions in words: debates, who may speak, decisions and their consensus, insights
remembered by the owner, and a restart in the middle of a panel. Thin calls into the engine;
the panel's id is its name in the sentence (``panel_sessions/{name}/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then, when

from prism_scenarios.bdd.steps import params_from, sentence_list, where

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun


@given(
    parsers.re(
        r'a debate "(?P<panel>\w+)" between "(?P<first>[^"]+)" and '
        r'"(?P<second>[^"]+)" moderated by "(?P<moderator>[^"]+)"$'
    )
)
def debate(
    scenario_run: ScenarioRun, request, panel: str, first: str, second: str, moderator: str
) -> None:
    scenario_run.step(
        "panel.create",
        {
            "panel_id": panel,
            "session_type": "ai_debate",
            "participants": [
                {"participant_id": first, "role": "advocate"},
                {"participant_id": second, "role": "critic"},
                {"participant_id": moderator, "role": "moderator"},
            ],
        },
        where=where(request),
    )


@given(
    parsers.re(
        r'an? (?P<kind>\w+) panel "(?P<panel>\w+)" of "(?P<owner>[^"]+)" with '
        r"(?P<people>.+?)(?: and a consensus threshold of (?P<threshold>[\d.]+))?$"
    )
)
def owned_panel(
    scenario_run: ScenarioRun,
    request,
    kind: str,
    panel: str,
    owner: str,
    people: str,
    threshold: str | None,
) -> None:
    config = {"consensus_threshold": float(threshold)} if threshold else {}
    scenario_run.step(
        "panel.create",
        {
            "panel_id": panel,
            "session_type": kind,
            "owner_user_id": owner,
            "participants": [
                {"participant_id": p} for p in sentence_list(people, where(request), "participants")
            ],
            "session_config": config,
        },
        where=where(request),
    )


@when(parsers.re(r'"(?P<who>[^"]+)" says "(?P<text>[^"]*)" in "(?P<panel>\w+)"$'))
def says(scenario_run: ScenarioRun, request, who: str, text: str, panel: str) -> None:
    scenario_run.step(
        "panel.say",
        {"panel_id": panel, "participant_id": who, "content": text},
        where=where(request),
    )


@then(parsers.re(r'"(?P<who>[^"]+)" may not speak again in "(?P<panel>\w+)"$'))
def may_not_speak(scenario_run: ScenarioRun, request, who: str, panel: str) -> None:
    scenario_run.step(
        "panel.say",
        {"panel_id": panel, "participant_id": who, "content": "One more point."},
        where=where(request),
        label=f'"{who}" tries to speak again',
        raises={"error": "LimitExceeded", "message": "max_consecutive_messages"},
    )


@then(parsers.re(r'"(?P<panel>\w+)" holds (?P<n>\d+) messages on disk$'))
def panel_holds(scenario_run: ScenarioRun, request, panel: str, n: str) -> None:
    path = f"panel_sessions/{panel}/panel_messages.jsonl"
    scenario_run.step(
        "files.count_lines", {"path": path}, where=where(request), expect=[{"equals": int(n)}]
    )
    scenario_run.step(
        "files.read_jsonl",
        {"path": path},
        where=where(request),
        expect=[{"path": "[*].conversation_turn", "equals": list(range(1, int(n) + 1))}],
    )


@when(
    parsers.re(
        r'the panel "(?P<panel>\w+)" (?P<verb>decides|notes) "(?P<text>[^"]*)" '
        r"with positions:"
    )
)
def records_insight(
    scenario_run: ScenarioRun, request, panel: str, verb: str, text: str, docstring: str
) -> None:
    scenario_run.step(
        "panel.insight",
        {
            "panel_id": panel,
            "content": text,
            "insight_type": "decision" if verb == "decides" else "insight",
            "positions": params_from(docstring),
        },
        where=where(request),
        save={"last_insight": "insight_id"},
    )


@then(
    parsers.re(
        r'the consensus of "(?P<panel>\w+)" is "(?P<level>\w+)" and '
        r"(?P<reached>reached|not reached)$"
    )
)
def consensus_is(scenario_run: ScenarioRun, request, panel: str, level: str, reached: str) -> None:
    scenario_run.step(
        "files.read_json",
        {"path": f"panel_sessions/{panel}/insights/consensus_tracking.json"},
        where=where(request),
        expect=[
            {"path": "current.consensus_level", "equals": level},
            {"path": "current.consensus_reached", "equals": reached == "reached"},
        ],
    )


@then(parsers.re(r'"(?P<owner>[^"]+)" remembers the insight in (?P<layer>\w+) memory$'))
def remembers_insight(scenario_run: ScenarioRun, request, owner: str, layer: str) -> None:
    scenario_run.step(
        "files.read_jsonl",
        {"path": f"users/{owner}/memory_layers/{layer}.jsonl"},
        where=where(request),
        expect=[{"path": "[?metadata.insight_id=='${last_insight}'] | length(@)", "equals": 1}],
    )


@when(parsers.re(r"the application restarts$"))
def restarts(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step("world.restart", {}, where=where(request))


@when(parsers.re(r'"(?P<panel>\w+)" delegates "(?P<text>[^"]*)"$'))
def delegates(scenario_run: ScenarioRun, request, panel: str, text: str) -> None:
    scenario_run.step("panel.route", {"panel_id": panel, "content": text}, where=where(request))


@then(parsers.re(r'the question goes to "(?P<who>[^"]+)"$'))
def goes_to(scenario_run: ScenarioRun, request, who: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f'the question goes to "{who}"',
        expect=[{"path": "chosen_participant_id", "equals": who}],
    )
