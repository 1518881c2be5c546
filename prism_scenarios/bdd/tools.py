"""Tool execution in words: policies, running tools and commands, approvals, what the
execution history and the sandbox show afterwards. Thin calls into the engine (``tools.*``,
``files.*``, ``expect.value``); the last tool call is saved as ``${tool_call}`` so later
sentences can check it whatever ran in between."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then, when

from prism_scenarios.bdd.steps import params_from, scalar, sentence_list, where
from prism_scenarios.errors import ScenarioError

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun

_LAST = "${tool_call}"


def _history(user: str) -> str:
    return f"users/{user}/tools/execution_history.jsonl"


def _check_call(scenario_run: ScenarioRun, request, label: str, expect: list[dict]) -> None:
    scenario_run.step(
        "expect.value", {"value": _LAST}, where=where(request), label=label, expect=expect
    )


# -- policy -----------------------------------------------------------------------------------
@given(parsers.re(r'"(?P<user>[^"]+)" may use tools of the categories (?P<categories>.+)$'))
@when(parsers.re(r'"(?P<user>[^"]+)" may use tools of the categories (?P<categories>.+)$'))
def may_use(scenario_run: ScenarioRun, request, user: str, categories: str) -> None:
    allowed = sentence_list(categories, where(request), "categories")
    scenario_run.step(
        "tools.update_policy",
        {"user_id": user, "changes": {"allowed_categories": allowed}},
        where=where(request),
    )


@given(parsers.re(r'the tool policy of "(?P<user>[^"]+)" is changed to:'))
@when(parsers.re(r'the tool policy of "(?P<user>[^"]+)" is changed to:'))
def policy_changed(scenario_run: ScenarioRun, request, user: str, docstring: str) -> None:
    scenario_run.step(
        "tools.update_policy",
        {"user_id": user, "changes": params_from(docstring)},
        where=where(request),
    )


# -- running ----------------------------------------------------------------------------------
@given(
    parsers.re(
        r'"(?P<user>[^"]+)" runs the "(?P<tool>\w+)" tool'
        r'(?: in "(?P<session>\w+)")?(?: with:)?$'
    )
)
@when(
    parsers.re(
        r'"(?P<user>[^"]+)" runs the "(?P<tool>\w+)" tool'
        r'(?: in "(?P<session>\w+)")?(?: with:)?$'
    )
)
def runs_tool(
    scenario_run: ScenarioRun,
    request,
    user: str,
    tool: str,
    session: str | None,
    docstring: str | None = None,
) -> None:
    """The docstring holds the tool's parameters."""
    params = {"user_id": user, "tool_id": tool, "parameters": params_from(docstring)}
    if session:
        params["session_id"] = f"${{{session}}}"
    scenario_run.step("tools.execute", params, where=where(request), save={"tool_call": "@"})


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" runs the command "(?P<line>[^"]*)"'
        r'(?: in "(?P<session>\w+)")?'
        r'(?: on the file "(?P<file>[^"]+)" containing:)?$'
    )
)
def runs_command(
    scenario_run: ScenarioRun,
    request,
    user: str,
    line: str,
    session: str | None,
    file: str | None,
    docstring: str | None = None,
) -> None:
    """``sandbox_command``: the line is split on spaces (never by a shell) into the command
    and its arguments; the docstring is the content of the one input file."""
    command, *args = line.split() or [""]
    parameters: dict = {"command": command, "args": args}
    if file:
        parameters["files"] = {file: (docstring or "") + "\n"}
    params = {"user_id": user, "tool_id": "sandbox_command", "parameters": parameters}
    if session:
        params["session_id"] = f"${{{session}}}"
    scenario_run.step("tools.execute", params, where=where(request), save={"tool_call": "@"})


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" runs the "(?P<tool>\w+)" tool (?P<times>\d+) times, '
        r'(?P<seconds>[\d.]+) seconds? apart,(?: in "(?P<session>\w+)")? with:'
    )
)
def runs_repeatedly(
    scenario_run: ScenarioRun,
    request,
    user: str,
    tool: str,
    times: str,
    seconds: str,
    session: str | None,
    docstring: str,
) -> None:
    """``{n}`` in a parameter becomes the repetition number."""
    params = {
        "user_id": user,
        "tool_id": tool,
        "parameters": params_from(docstring),
        "times": int(times),
        "advance_seconds": float(seconds),
    }
    if session:
        params["session_id"] = f"${{{session}}}"
    scenario_run.step(
        "tools.repeat",
        params,
        where=where(request),
        expect=[{"path": "succeeded", "equals": int(times)}],
    )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" asks "(?P<text>[^"]*)" in "(?P<session>\w+)" and '
        r'"(?P<persona>[^"]+)" answers "(?P<reply>[^"]*)"'
        r"(?P<remember>, remembering the request)?$"
    )
)
def asks(
    scenario_run: ScenarioRun,
    request,
    user: str,
    text: str,
    session: str,
    persona: str,
    reply: str,
    remember: str | None,
) -> None:
    """A scripted exchange with an assistant persona (``chat.turn``); with "remembering the
    request" the user's words also go to the immediate memory layer."""
    scenario_run.step(
        "chat.turn",
        {
            "user_id": user,
            "session_id": f"${{{session}}}",
            "text": text,
            "reply": reply,
            "persona": persona,
            "remember": bool(remember),
            "relevance": 0.9,
        },
        where=where(request),
    )


@when(
    parsers.re(
        r'the pending approval of "(?P<user>[^"]+)" is (?P<verdict>approved|rejected) '
        r'by "(?P<by>[^"]+)"$'
    )
)
def decides_approval(scenario_run: ScenarioRun, request, user: str, verdict: str, by: str) -> None:
    """The approval request the last refused tool call opened."""
    pending = "${tool_call.integration_context.pending_approval_id}"
    if verdict == "approved":
        scenario_run.step(
            "tools.approve",
            {"user_id": user, "approval_id": pending, "approved_by": by},
            where=where(request),
            expect=[{"path": "status", "equals": "approved"}],
        )
    else:
        scenario_run.step(
            "tools.reject",
            {"user_id": user, "approval_id": pending, "rejected_by": by},
            where=where(request),
            expect=[{"path": "status", "equals": "rejected"}],
        )


# -- the outcome of the last tool call --------------------------------------------------------
@then("the tool call succeeds")
def call_succeeds(scenario_run: ScenarioRun, request) -> None:
    _check_call(
        scenario_run,
        request,
        "the tool call succeeds",
        [{"path": "success", "equals": True}, {"path": "error_message", "is_null": True}],
    )


@then(parsers.re(r'the tool call is refused with "(?P<message>[^"]*)"$'))
def call_refused(scenario_run: ScenarioRun, request, message: str) -> None:
    _check_call(
        scenario_run,
        request,
        f'the tool call is refused with "{message}"',
        [
            {"path": "success", "equals": False},
            {"path": "denial_reason", "is_null": False},
            {"path": "error_message", "equals": message},
        ],
    )


@then(parsers.re(r"the tool call fails with an? (?P<error_type>\w+)$"))
def call_fails(scenario_run: ScenarioRun, request, error_type: str) -> None:
    _check_call(
        scenario_run,
        request,
        f"the tool call fails with {error_type}",
        [{"path": "success", "equals": False}, {"path": "error_type", "equals": error_type}],
    )


@then(parsers.re(r"the tool call (?P<source>came|did not come) from the cache$"))
def from_cache(scenario_run: ScenarioRun, request, source: str) -> None:
    _check_call(
        scenario_run,
        request,
        f"the tool call {source} from the cache",
        [{"path": "cached_result", "equals": source == "came"}],
    )


@then(parsers.re(r'the tool result at "(?P<path>[^"]*)" is (?P<value>.+)$'))
def result_at(scenario_run: ScenarioRun, request, path: str, value: str) -> None:
    _check_call(
        scenario_run,
        request,
        f'the tool result at "{path}" is {value}',
        [{"path": f"result_data.{path}" if path else "result_data", "equals": scalar(value)}],
    )


@then(parsers.re(r'the command printed the line "(?P<line>[^"]*)"$'))
def printed(scenario_run: ScenarioRun, request, line: str) -> None:
    _check_call(
        scenario_run,
        request,
        f'the command printed "{line}"',
        [{"path": "success", "equals": True}, {"path": "result_data", "equals": line + "\n"}],
    )


@then("its result hash is the first 16 hex digits of the sha256 of its result")
def hash_matches(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step(
        "tools.hash",
        {"value": "${tool_call.result_data}"},
        where=where(request),
        expect=[
            {"path": "result_hash", "equals": "${tool_call.result_hash}"},
            {"path": "size_bytes", "equals": "${tool_call.result_size_bytes}"},
        ],
    )


@then(parsers.re(r'its result is cut at (?P<n>\d+) characters and ends in "(?P<marker>[^"]+)"$'))
def truncated(scenario_run: ScenarioRun, request, n: str, marker: str) -> None:
    _check_call(
        scenario_run,
        request,
        f"its result is cut at {n} characters",
        [
            {"path": "truncated", "equals": True},
            {"path": "length(result_data)", "equals": int(n) + len(marker)},
            {"path": f"ends_with(result_data, '{marker}')", "equals": True},
        ],
    )


# -- the history, the sandbox, the processes --------------------------------------------------
@then(parsers.re(r'the execution history of "(?P<user>[^"]+)" holds (?P<n>\d+) attempts?$'))
def history_holds(scenario_run: ScenarioRun, request, user: str, n: str) -> None:
    scenario_run.step(
        "files.count_lines",
        {"path": _history(user)},
        where=where(request),
        expect=[{"equals": int(n)}],
    )


@then(
    parsers.re(
        r'the execution history of "(?P<user>[^"]+)" records the outcomes '
        r"(?P<outcomes>.+)$"
    )
)
def history_outcomes(scenario_run: ScenarioRun, request, user: str, outcomes: str) -> None:
    """``succeeded, refused, failed ...`` in order: ``success`` of every attempt (true for
    succeeded, false for refused or failed)."""
    words = sentence_list(outcomes, where(request), "outcomes")
    unknown = sorted(set(words) - {"succeeded", "refused", "failed"})
    if unknown:
        raise ScenarioError(
            f"{where(request)}: unknown outcome(s) {unknown} (use succeeded, refused or failed)"
        )
    wanted = [word == "succeeded" for word in words]
    scenario_run.step(
        "files.read_jsonl",
        {"path": _history(user)},
        where=where(request),
        expect=[{"path": "[*].success", "equals": wanted}],
    )


@then(
    parsers.re(
        r'the last line of the execution history of "(?P<user>[^"]+)" is the tool '
        r"call$"
    )
)
def history_last(scenario_run: ScenarioRun, request, user: str) -> None:
    scenario_run.step(
        "files.read_jsonl",
        {"path": _history(user)},
        where=where(request),
        expect=[
            {"path": f"[-1].{key}", "equals": f"${{tool_call.{key}}}"}
            for key in (
                "execution_id",
                "tool_id",
                "success",
                "error_message",
                "result_hash",
                "denial_reason",
                "cached_result",
                "execution_mode",
            )
        ],
    )


@then("no command was ever spawned")
def nothing_spawned(scenario_run: ScenarioRun, request) -> None:
    """The world's sandbox root does not even exist: no work folder, no bubblewrap probe."""
    scenario_run.step(
        "tools.sandbox_dirs", {}, where=where(request), expect=[{"path": "exists", "equals": False}]
    )


@then("no sandbox work folder is left behind")
def no_work_folder(scenario_run: ScenarioRun, request) -> None:
    _check_call(
        scenario_run,
        request,
        "the command's work folder was removed",
        [{"path": "debug_information.sandbox_dir_removed", "equals": True}],
    )
    scenario_run.step(
        "tools.sandbox_dirs", {}, where=where(request), expect=[{"path": "entries", "equals": []}]
    )
