"""Declared outputs are true: run every shipped YAML suite through the engine and validate each
successful step's result (the JSON shape expectations see) against its action's return
annotation. Actions no suite exercises get one step each in a supplementary scenario, so all
144 are checked against a real result."""

from __future__ import annotations

import functools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from prism_scenarios.actions.registry import load_actions
from prism_scenarios.engine import ScenarioRun, StepRecord
from prism_scenarios.errors import ScenarioFailure
from prism_scenarios.loader import load_file

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def suite_files() -> list[Path]:
    """The shipped suites (the use-case catalog and data files are not scenarios)."""
    return sorted(
        p
        for p in SCENARIOS.rglob("*.yaml")
        if p.name != "use_cases.yaml"
        and "data" not in p.relative_to(SCENARIOS).parts
        # attack runs (hundreds, known store holes among them) run in their own
        # suite; the actions they use are all exercised elsewhere or below
        and "security" not in p.relative_to(SCENARIOS).parts
        # load files pick scenarios from the other suites; they hold no steps
        and "load" not in p.relative_to(SCENARIOS).parts
    )


class Collector:
    """An engine reporter keeping the result of every step that succeeded."""

    def __init__(self) -> None:
        self.results: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        self.expecting_error = False  # a `raises` step's result is the error, not the output

    def step_started(self, record: StepRecord) -> None:
        pass

    def step_finished(self, record: StepRecord) -> None:
        if record.status == "passed" and record.error is None and not self.expecting_error:
            self.results[record.action].append((record.where, record.result))


@functools.cache
def _adapter(output: Any) -> TypeAdapter:
    return TypeAdapter(output)


def mismatches(results: dict[str, list[tuple[str, Any]]]) -> list[str]:
    """Results that do not validate against their action's declared output type."""
    registry = load_actions()
    found = []
    for name, seen in sorted(results.items()):
        adapter = _adapter(registry.get(name).output)
        for where, result in seen:
            try:
                adapter.validate_python(result, strict=False)
            except ValidationError as exc:
                found.append(f"{name} at {where}:\n{exc}")
                break
    return found


def run_suites(collector: Collector) -> list[str]:
    """Run every scenario of every suite file; returns the unexpected failures."""
    failures = []
    for path in suite_files():
        for spec in load_file(path).scenarios:
            if spec.skip:
                continue
            run = ScenarioRun(
                config=spec.config,
                start=spec.start,
                seed=spec.seed,
                variables=spec.variables,
                invariants=spec.invariants,
                reporter=collector,
                telemetry=spec.telemetry,
            )
            try:
                for step in spec.steps:
                    collector.expecting_error = step.raises is not None
                    run.step(
                        step.action,
                        step.params,
                        where=step.where,
                        save=step.save,
                        expect=step.expect,
                        raises=step.raises,
                        timeout=step.timeout,
                        label=step.label,
                    )
            except ScenarioFailure as exc:
                if not spec.xfail:
                    failures.append(f"{spec.display_name}: {exc}")
            finally:
                run.close()
    return failures


def run_supplement(collector: Collector) -> None:
    """One step for each action no shipped suite exercises (kept minimal: its output shape
    is what is checked here; behaviour belongs in the suites)."""
    with ScenarioRun(reporter=collector) as run:

        def step(
            action: str, params: dict[str, Any] | None = None, save: dict[str, str] | None = None
        ) -> None:
            run.step(action, params or {}, where=f"supplement:{action}", save=save)

        user, session = {"user_id": "ann"}, {"user_id": "ann", "session_id": "s1"}
        step("user.create", {"user_id": "ann", "username": "Ann"})
        step("user.get", user)
        step("user.update", {**user, "updates": {"username": "Annie"}})
        step("session.create", {**user, "session_id": "s1"})
        step("session.update", {**session, "title": "Plans"})
        step("session.list", user)
        step(
            "message.add",
            {**session, "role": "user", "content": "Hello"},
            save={"message": "message_id"},
        )
        step("message.get", {**session, "message_id": "${message}"})
        step("session.stats", session)
        step(
            "persona.store",
            {"persona": {"persona_id": "coach", "name": "Coach", "description": "Encourages"}},
        )
        step("persona.get", {"persona_id": "coach"})
        step("persona.list", {})
        step(
            "documents.upload",
            {**session, "filename": "notes.md", "text": "# Notes"},
            save={"doc": "filename"},
        )
        step(
            "documents.analyze", {**session, "filename": "${doc}", "analysis": {"summary": "notes"}}
        )
        step("documents.delete", {**session, "filename": "${doc}"})
        step("clock.now")
        step("files.copy", {"source": "users/ann/profile.json", "path": "users/ann/copy.json"})
        step("files.symlink", {"path": "users/ann/link.json", "target": "copy.json"})
        step("noop")
        step("vars.set", {"values": {"a": 1, "b": ["x"]}})
        step("store.check")
        step("store.repair")
        step("memory.init", user)
        step("memory.add", {**user, "content": "Ann likes tea"})
        step("memory.metadata", user)
        step("kb.create", {**user, "name": "Energy"}, save={"kb": "kb_id"})
        step(
            "kb.add_document",
            {
                **user,
                "kb_id": "${kb}",
                "document_path": "solar.md",
                "text": "Solar panels turn light into power.",
            },
            save={"document": "doc_id"},
        )
        step("kb.documents", {**user, "kb_id": "${kb}"})
        step("kb.chunks", {**user, "kb_id": "${kb}", "document_id": "${document}"})
        step("kb.analytics", {**user, "kb_id": "${kb}"})
        step("rag.init", {**user, "session_id": "r1", "kb_ids": ["${kb}"]})
        step("rag.get", {**user, "session_id": "r1"})
        step(
            "rag.context",
            {
                **user,
                "session_id": "r1",
                "message_id": "m1",
                "message": "How do solar panels make power?",
            },
            save={"contexts": "@"},
        )
        step("rag.format_session", {**user, "session_id": "r1", "contexts": "${contexts}"})
        step(
            "panel.create",
            {
                "panel_id": "p1",
                "session_type": "brainstorm",
                "participants": [
                    {"participant_id": "sol", "expertise_areas": ["solar"]},
                    {"participant_id": "generalist"},
                ],
            },
        )
        step("panel.get", {"panel_id": "p1"})
        step("panel.say", {"panel_id": "p1", "participant_id": "sol", "content": "Idea."})
        step("panel.messages", {"panel_id": "p1"})
        step("panel.insight", {"panel_id": "p1", "content": "Solar is cheap"})
        step("panel.insights", {"panel_id": "p1"})
        step("panel.route", {"panel_id": "p1", "content": "How does solar work?"})
        step("panel.routes", {"panel_id": "p1"})
        step("analytics.init")
        step("analytics.alerts")
        step(
            "analytics.trace",
            {**session, "name": "prompt:v1", "events": [{"event": "run"}], "duration_ms": 5},
        )
        step("wall.sleep", {"ms": 1})
        step(
            "load.run",
            {
                "mix": [{"scenario": "a three-turn conversation is stored exactly"}],
                "rate": 5,
                "duration": "1s",
            },
        )


@pytest.mark.slow
def test_every_action_returns_what_it_declares() -> None:
    collector = Collector()
    failures = run_suites(collector)
    assert not failures, "the suites must pass first:\n" + "\n".join(failures)
    run_supplement(collector)
    unchecked = sorted(set(load_actions().names()) - set(collector.results))
    assert not unchecked, f"no successful step ran these actions: {unchecked}"
    wrong = mismatches(collector.results)
    assert not wrong, "results that contradict the declared output:\n" + "\n\n".join(wrong)
