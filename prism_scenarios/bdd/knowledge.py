"""Knowledge bases in words: a user's KB with documents, questions answered from it, deleting
a document, sharing, and whether the vectors stay aligned. Thin calls into the engine; a KB's
name in a sentence is also the variable holding its ``kb_id``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then, when

from prism_scenarios.bdd.steps import where

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun


@given(
    parsers.re(
        r'"(?P<user>[^"]+)" has a knowledge base "(?P<kb>\w+)" with '
        r'"(?P<filename>[^"]+)" saying "(?P<text>[^"]*)"$'
    )
)
def has_kb(
    scenario_run: ScenarioRun, request, user: str, kb: str, filename: str, text: str
) -> None:
    scenario_run.step(
        "kb.create", {"user_id": user, "name": kb}, where=where(request), save={kb: "kb_id"}
    )
    scenario_run.step(
        "kb.add_document",
        {"user_id": user, "kb_id": f"${{{kb}}}", "document_path": filename, "text": text},
        where=where(request),
    )


@given(
    parsers.re(
        r'"(?P<user>[^"]+)" adds "(?P<filename>[^"]+)" saying "(?P<text>[^"]*)" to '
        r'"(?P<kb>\w+)"$'
    )
)
def adds_document(
    scenario_run: ScenarioRun, request, user: str, filename: str, text: str, kb: str
) -> None:
    scenario_run.step(
        "kb.add_document",
        {"user_id": user, "kb_id": f"${{{kb}}}", "document_path": filename, "text": text},
        where=where(request),
    )


@when(parsers.re(r'"(?P<user>[^"]+)" asks "(?P<query>[^"]*)"$'))
def asks(scenario_run: ScenarioRun, request, user: str, query: str) -> None:
    scenario_run.step("kb.retrieve", {"user_id": user, "query": query}, where=where(request))


@when(parsers.re(r'"(?P<user>[^"]+)" asks "(?P<query>[^"]*)" in "(?P<kb>\w+)"$'))
def asks_in(scenario_run: ScenarioRun, request, user: str, query: str, kb: str) -> None:
    scenario_run.step(
        "kb.retrieve",
        {"user_id": user, "query": query, "kb_ids": [f"${{{kb}}}"]},
        where=where(request),
    )


@when(parsers.re(r'"(?P<user>[^"]+)" tries to ask "(?P<query>[^"]*)" in "(?P<kb>\w+)"$'))
def tries_to_ask(scenario_run: ScenarioRun, request, user: str, query: str, kb: str) -> None:
    scenario_run.step(
        "kb.retrieve",
        {"user_id": user, "query": query, "kb_ids": [f"${{{kb}}}"]},
        where=where(request),
        capture_error=True,
    )


@then(parsers.re(r'the first context comes from "(?P<filename>[^"]+)"$'))
def first_context_from(scenario_run: ScenarioRun, request, filename: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f"the first context comes from {filename}",
        expect=[{"path": "contexts[0].source_path", "equals": filename}],
    )


@then(parsers.re(r'no context comes from "(?P<filename>[^"]+)"$'))
def no_context_from(scenario_run: ScenarioRun, request, filename: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f"no context comes from {filename}",
        expect=[{"path": f"contexts[?source_path=='{filename}']", "equals": []}],
    )


@when(parsers.re(r'"(?P<user>[^"]+)" deletes "(?P<filename>[^"]+)" from "(?P<kb>\w+)"$'))
def deletes(scenario_run: ScenarioRun, request, user: str, filename: str, kb: str) -> None:
    scenario_run.step(
        "kb.documents",
        {"user_id": user, "kb_id": f"${{{kb}}}"},
        where=where(request),
        save={"deleted_document": f"[?original_path=='{filename}'].doc_id | [0]"},
    )
    scenario_run.step(
        "kb.delete_document",
        {"user_id": user, "kb_id": f"${{{kb}}}", "document_id": "${deleted_document}"},
        where=where(request),
    )


@then(
    parsers.re(
        r'the vectors of "(?P<kb>\w+)" of "(?P<user>[^"]+)" stay aligned with '
        r"(?P<n>\d+) chunks?$"
    )
)
def vectors_aligned(scenario_run: ScenarioRun, request, kb: str, user: str, n: str) -> None:
    scenario_run.step(
        "kb.index_stats",
        {"user_id": user, "kb_id": f"${{{kb}}}"},
        where=where(request),
        expect=[
            {"path": "aligned", "equals": True},
            {"path": "embeddings_rows", "equals": int(n)},
            {"path": "config_total_chunks", "equals": int(n)},
        ],
    )


@when(parsers.re(r'"(?P<owner>[^"]+)" shares "(?P<kb>\w+)" with "(?P<reader>[^"]+)"$'))
def shares(scenario_run: ScenarioRun, request, owner: str, kb: str, reader: str) -> None:
    scenario_run.step(
        "kb.share",
        {"user_id": owner, "kb_id": f"${{{kb}}}", "access_permissions": [reader]},
        where=where(request),
    )
