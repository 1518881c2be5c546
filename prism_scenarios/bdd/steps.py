"""Step definitions for pytest-bdd 9: a generic vocabulary plus readable base-store sentences.

Every sentence is a thin wrapper over :class:`prism_scenarios.engine.ScenarioRun`: ``step``
for actions, ``check`` for expectations on the last result. Steps are plain ``def``
(pytest-bdd never awaits ``async def`` steps — it would silently pass them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from pytest_bdd import given, parsers, then, when

from prism_scenarios.errors import ScenarioError

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun

MATCHER_PHRASES = {
    "equals": "equals",
    "does not equal": "not_equals",
    "contains": "contains",
    "does not contain": "not_contains",
    "matches": "matches",
    "has length": "length",
    "is greater than": "gt",
    "is at least": "ge",
    "is less than": "lt",
    "is at most": "le",
    "is of type": "type",
}
_PHRASES = "|".join(sorted(MATCHER_PHRASES, key=len, reverse=True))
# A list in a sentence: items separated by ",", "and" or ", and"; quoted items may hold
# anything but a quote, unquoted ones are words (not the word "and").
_SEPARATOR = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)"
_QUOTED_ITEM = r'"[^"]*"'
_WORD_ITEM = r'[^",\s]+(?:\s+(?!and(?:\s|$))[^",\s]+)*'
_QUOTED_LIST = re.compile(rf"{_QUOTED_ITEM}(?:{_SEPARATOR}{_QUOTED_ITEM})*")
_WORD_LIST = re.compile(rf"{_WORD_ITEM}(?:{_SEPARATOR}{_WORD_ITEM})*")


@pytest.fixture
def scenario_run(request: pytest.FixtureRequest):
    """The engine's run for one Gherkin scenario (fresh store, frozen clock, seed 1)."""
    from prism_scenarios.allure_bridge import AllureReporter
    from prism_scenarios.engine import ScenarioRun
    from prism_scenarios.pytest_plugin import record_outcome

    run = ScenarioRun(
        observers=[AllureReporter()],
        keep=request.config.getoption("keep_stores", False),
        telemetry=request.node.get_closest_marker("telemetry") is not None,
    )
    yield run
    record_outcome(
        request.node,
        run,
        getattr(request.node, "prism_use_case", None),
        str(request.node.path),
        getattr(request.node, "prism_name", None),
        getattr(request.node, "prism_tags", None),
    )
    run.close()


def where(request: pytest.FixtureRequest) -> str:
    return getattr(request.node, "prism_where", request.node.nodeid)


def scalar(text: str) -> Any:
    """A value written in a sentence, read as YAML (``3``, ``true``, ``"a b"``, ``[1, 2]``)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"cannot read value {text!r}: {exc}") from None


def sentence_list(text: str, where: str, what: str = "items") -> list[str]:
    """The list a sentence names: ``"a", "b" and "c"`` or ``a, b and c`` (quote an item that
    holds a comma or the word "and"). An empty or unreadable list is a scenario error naming
    the step, never a silent ``[]`` that would make the step test nothing."""
    text = text.strip()
    if _QUOTED_LIST.fullmatch(text):
        items = [item[1:-1] for item in re.findall(_QUOTED_ITEM, text)]
    elif _WORD_LIST.fullmatch(text):
        items = re.split(_SEPARATOR, text)
    else:
        items = []
    if not items or not all(item.strip() for item in items):
        raise ScenarioError(
            f"{where}: cannot read the {what} {text!r}: write a list as "
            f'"a", "b" and "c" or as a, b and c'
        )
    return items


def params_from(docstring: str | None) -> dict[str, Any]:
    if not docstring:
        return {}
    data = scalar(docstring)
    if not isinstance(data, dict):
        raise ScenarioError(f"the step's docstring must be a YAML mapping, got {data!r}")
    return data


# -- generic vocabulary -----------------------------------------------------------------
@given(parsers.re(r'I call "(?P<name>[\w.]+)" with:'))
@when(parsers.re(r'I call "(?P<name>[\w.]+)" with:'))
def call_with(scenario_run: ScenarioRun, request, name: str, docstring: str) -> None:
    scenario_run.step(name, params_from(docstring), where=where(request))


@given(parsers.re(r'I call "(?P<name>[\w.]+)"$'))
@when(parsers.re(r'I call "(?P<name>[\w.]+)"$'))
def call(scenario_run: ScenarioRun, request, name: str) -> None:
    scenario_run.step(name, {}, where=where(request))


@when(parsers.re(r'I try to call "(?P<name>[\w.]+)" with:'))
def try_call_with(scenario_run: ScenarioRun, request, name: str, docstring: str) -> None:
    scenario_run.step(name, params_from(docstring), where=where(request), capture_error=True)


@then(parsers.re(r'it fails with (?P<error>\w+)(?: mentioning "(?P<text>[^"]*)")?$'))
def fails_with(scenario_run: ScenarioRun, request, error: str, text: str | None) -> None:
    raises = {"error": error, **({"message": text} if text else {})}
    scenario_run.check(where=where(request), label=f"fails with {error}", raises=raises)


@then(parsers.re(rf'the result at "(?P<path>[^"]*)" (?P<phrase>{_PHRASES}) (?P<value>.+)$'))
def result_matches(scenario_run: ScenarioRun, request, path: str, phrase: str, value: str) -> None:
    matcher = MATCHER_PHRASES[phrase]
    scenario_run.check(
        where=where(request),
        label=f'result at "{path}" {phrase} {value}',
        expect=[{"path": path, matcher: scalar(value)}],
    )


@then(parsers.re(r'the result at "(?P<path>[^"]*)" is (?P<negation>not )?null$'))
def result_null(scenario_run: ScenarioRun, request, path: str, negation: str | None) -> None:
    scenario_run.check(
        where=where(request),
        label=f'result at "{path}" is {"not " if negation else ""}null',
        expect=[{"path": path, "is_null": not negation}],
    )


@given(parsers.re(r'I save "(?P<path>[^"]*)" as "(?P<name>\w+)"'))
@when(parsers.re(r'I save "(?P<path>[^"]*)" as "(?P<name>\w+)"'))
@then(parsers.re(r'I save "(?P<path>[^"]*)" as "(?P<name>\w+)"'))
def save_as(scenario_run: ScenarioRun, request, path: str, name: str) -> None:
    scenario_run.check(where=where(request), label=f'save "{path}" as {name}', save={name: path})


@given(parsers.re(r'the "(?P<name>\w+)" invariant is off because (?P<reason>\S.*)$'))
def invariant_off(scenario_run: ScenarioRun, request, name: str, reason: str) -> None:
    """Gherkin's ``invariants: {name: false}``: one invariant off for the rest of the
    scenario, with the reason in the sentence (so the feature file says why)."""
    from prism_scenarios.schema import INVARIANTS

    if name not in INVARIANTS:
        raise ScenarioError(
            f"{where(request)}: unknown invariant {name!r} (allowed: {', '.join(INVARIANTS)})"
        )
    scenario_run.invariants[name] = False


# -- base store, in words ---------------------------------------------------------------
@given(parsers.re(r'(?:a )?user "(?P<user>[^"]+)"(?: exists)?$'))
def user_exists(scenario_run: ScenarioRun, request, user: str) -> None:
    scenario_run.step("user.create", {"user_id": user}, where=where(request))


@given(
    parsers.re(
        r'"(?P<user>[^"]+)" has an? (?P<kind>chat|panel|debate|problem_solving) '
        r'session "(?P<name>\w+)"$'
    )
)
def user_has_session(scenario_run: ScenarioRun, request, user: str, kind: str, name: str) -> None:
    scenario_run.step(
        "session.create",
        {"user_id": user, "title": name, "session_type": kind},
        where=where(request),
        save={name: "session_id"},
    )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" says "(?P<text>[^"]*)" in "(?P<session>\w+)" and the '
        r'assistant replies "(?P<reply>[^"]*)"$'
    )
)
def chat_turn(
    scenario_run: ScenarioRun, request, user: str, text: str, session: str, reply: str
) -> None:
    scenario_run.step(
        "chat.turn",
        {"user_id": user, "session_id": f"${{{session}}}", "text": text, "reply": reply},
        where=where(request),
    )


@when(parsers.re(r"(?P<amount>\d+) (?P<unit>minute|hour|day)s? pass(?:es)?$"))
def time_passes(scenario_run: ScenarioRun, request, amount: str, unit: str) -> None:
    scenario_run.step("clock.advance", {f"{unit}s": int(amount)}, where=where(request))


@then(
    parsers.re(
        r'session "(?P<session>\w+)" of "(?P<user>[^"]+)" holds (?P<n>\d+) '
        r"messages on disk$"
    )
)
def session_holds(scenario_run: ScenarioRun, request, session: str, user: str, n: str) -> None:
    folder = f"users/{user}/${{{session}}}"
    scenario_run.step(
        "files.read_json",
        {"path": f"{folder}/session.json"},
        where=where(request),
        expect=[{"path": "message_count", "equals": int(n)}],
    )
    scenario_run.step(
        "files.count_lines",
        {"path": f"{folder}/messages.jsonl"},
        where=where(request),
        expect=[{"equals": int(n)}],
    )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" uploads "(?P<filename>[^"]+)" to "(?P<session>\w+)" '
        r'with text "(?P<text>[^"]*)"$'
    )
)
def upload(
    scenario_run: ScenarioRun, request, user: str, filename: str, session: str, text: str
) -> None:
    scenario_run.step(
        "documents.upload",
        {"user_id": user, "session_id": f"${{{session}}}", "filename": filename, "text": text},
        where=where(request),
        save={"last_document": "filename"},
    )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" tries to upload "(?P<filename>[^"]+)" to '
        r'"(?P<session>\w+)"$'
    )
)
def try_upload(scenario_run: ScenarioRun, request, user: str, filename: str, session: str) -> None:
    scenario_run.step(
        "documents.upload",
        {"user_id": user, "session_id": f"${{{session}}}", "filename": filename, "text": "payload"},
        where=where(request),
        capture_error=True,
    )


@then(parsers.re(r'"(?P<user>[^"]+)" has (?P<n>\d+) documents? in "(?P<session>\w+)"$'))
def has_documents(scenario_run: ScenarioRun, request, user: str, n: str, session: str) -> None:
    scenario_run.step(
        "documents.list",
        {"user_id": user, "session_id": f"${{{session}}}"},
        where=where(request),
        expect=[{"length": int(n)}],
    )
