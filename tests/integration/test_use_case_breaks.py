"""Every use-case suite can fail: break the store in one small way and its suite must fail.

Each break below stands for a one-line change of the system under test (described in its
text), applied with monkeypatch for the duration of one run of ``scenarios/use_cases/<id>.yaml``
through the engine. A suite that still passes with its break is a suite that checks nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ScenarioFailure
from prism_scenarios.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "scenarios" / "use_cases"


def _wrap(
    module: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> tuple[Any, str, Callable[..., Any]]:
    return module, name, make(getattr(module, name))


def _breaks() -> dict[str, tuple[str, Callable[[], tuple[Any, str, Any]]]]:
    """use case -> (the one-line change, in words; how to apply it)."""
    from flatfile_chat import chat
    from flatfile_chat.knowledge import fusion, rag_store, repository
    from flatfile_chat.memory import compression, lifecycle
    from flatfile_chat.memory import manager as memory_manager
    from flatfile_chat.panel import routing, rules
    from flatfile_chat.store import context, documents, messages, personas
    from flatfile_chat.store.models import FFPersonaDTO
    from flatfile_chat.tools import commands, executor, policy, textutils, translation

    def scaled_score(original):  # upstream's 0.7 x semantic + 0.3 x keyword weighting
        def score(*args: Any, **kwargs: Any) -> Any:
            return [
                replace(row, score=round(0.7 * row.semantic + 0.3 * row.keyword, 6))
                for row in original(*args, **kwargs)
            ]

        return score

    return {
        "basic_chat": (
            "store/messages.py: _current() reports 0 existing lines, so "
            "message_count restarts on every append",
            lambda: _wrap(
                messages.MessageRepository,
                "_current",
                lambda original: lambda self, *a: (original(self, *a)[0], 0),
            ),
        ),
        "multimodal_chat": (
            "store/documents.py: slug() returns the original name unchanged",
            lambda: (documents, "slug", lambda filename: filename),
        ),
        "rag_chat": (
            "knowledge/fusion.py: score() fuses as 0.7 x semantic + 0.3 x keyword "
            "(upstream's formula)",
            lambda: _wrap(fusion, "score", scaled_score),
        ),
        "multimodal_rag": (
            "knowledge/repository.py: delete_document() returns without deleting",
            lambda: (repository.KBRepository, "delete_document", lambda self, *a, **k: None),
        ),
        "interactive_tutor": (
            "store/context.py: _snapshot() keeps no history",
            lambda: (context.ContextRepository, "_snapshot", lambda self, *a, **k: None),
        ),
        "exam_assistant": (
            "knowledge/rag_store.py: track_usage() marks nothing",
            lambda: (rag_store.RAGStore, "track_usage", lambda self, *a, **k: {}),
        ),
        "scene_critic": (
            "store/personas.py: get() returns a persona even if no file exists",
            lambda: (
                personas.PersonaRepository,
                "get",
                lambda self, persona_id, user_id=None: FFPersonaDTO(
                    persona_id=persona_id, name=persona_id
                ),
            ),
        ),
        "multi_ai_panel": (
            "panel/rules.py: check_membership() accepts anyone",
            lambda: (
                rules,
                "check_membership",
                lambda panel_id, participants, participant_id: next(iter(participants.values())),
            ),
        ),
        "ai_debate": (
            "panel/rules.py: check_turn() enforces no turn rule",
            lambda: (rules, "check_turn", lambda *a, **k: None),
        ),
        "topic_delegation": (
            "panel/routing.py: choose() ignores the confidence threshold",
            lambda: _wrap(
                routing,
                "choose",
                lambda original: (
                    lambda scores, order, limit, fallback: original(scores, order, 0.0, fallback)
                ),
            ),
        ),
        "ai_game_master": (
            "memory/lifecycle.py: is_due() treats retention -1 as 1 hour, so "
            "permanent items expire",
            lambda: (
                lifecycle,
                "is_due",
                lambda record, retention_hours, now: (
                    now >= lifecycle.entered_at(record) + timedelta(hours=abs(retention_hours))
                ),
            ),
        ),
        "memory_chat": (
            "memory/lifecycle.py: promoted_copy() forgets promotion_history",
            lambda: (
                lifecycle,
                "promoted_copy",
                lambda record, old, new, now_iso: {
                    **record,
                    "layer": new,
                    "layer_entered_at": now_iso,
                },
            ),
        ),
        "thought_partner": (
            "memory/manager.py: build_record() stores every item as 'conversation'",
            lambda: _wrap(
                memory_manager,
                "build_record",
                lambda original: (
                    lambda context, **kw: {
                        **original(context, **kw),
                        "context_type": "conversation",
                    }
                ),
            ),
        ),
        "story_world_chat": (
            "memory/compression.py: _union() keeps only the first tag",
            lambda: (compression, "_union", lambda values: sorted(set(values))[:1]),
        ),
        "prompt_sandbox": (
            "chat.py: _may_remember() skips the sandbox check, so the exchange "
            "is stored before memory refuses",
            lambda: _wrap(
                chat.FFChatService,
                "_may_remember",
                lambda original: lambda self, user_id, session_id: None,
            ),
        ),
        "translation_chat": (
            "tools/translation.py: check_languages() accepts any language",
            lambda: (translation, "check_languages", lambda *a: None),
        ),
        "personal_assistant": (
            "tools/policy.py: check_rate() never refuses",
            lambda: (policy, "check_rate", lambda *a, **k: None),
        ),
        "language_tutor": (
            "tools/textutils.py: grammar_check() returns the text uncorrected",
            lambda: (textutils, "grammar_check", lambda text: {"text": text, "corrections": []}),
        ),
        "chatops_assistant": (
            "tools/commands.py: check_injection() lets every token through",
            lambda: (commands, "check_injection", lambda tokens: None),
        ),
        "auto_task_agent": (
            "tools/executor.py: _check_approval() never asks for approval",
            lambda: (
                executor.FFToolExecutionManager,
                "_check_approval",
                lambda self, *a, **k: None,
            ),
        ),
        "ai_notetaker": (
            "tools/textutils.py: extract_action_items() finds nothing",
            lambda: (textutils, "extract_action_items", lambda text: []),
        ),
        "cross_team_concierge": (
            "tools/policy.py: check_category() allows every category",
            lambda: (policy, "check_category", lambda *a, **k: None),
        ),
    }


BREAKS = _breaks()


def test_every_use_case_has_a_suite_and_a_break() -> None:
    from prism_scenarios.use_cases import PACKAGED_CATALOG, load_catalog

    catalog = set(load_catalog(PACKAGED_CATALOG).use_cases)
    assert set(BREAKS) == catalog
    assert {p.stem for p in SUITES.glob("*.yaml")} == catalog


def run_suite(path: Path) -> list[str]:
    """Run every scenario of a file through the engine; the failures' first lines."""
    failures = []
    for scenario in load_file(path, display=str(path.relative_to(ROOT))).scenarios:
        with ScenarioRun(
            config=scenario.config,
            start=scenario.start,
            seed=scenario.seed,
            variables=scenario.variables,
            invariants=scenario.invariants,
            telemetry=scenario.telemetry,
        ) as run:
            try:
                for step in scenario.steps:
                    run.step(
                        step.action,
                        step.params,
                        where=step.where,
                        save=step.save,
                        expect=step.expect,
                        raises=step.raises,
                        timeout=step.timeout,
                    )
            except ScenarioFailure as exc:
                failures.append(f"{scenario.name}: {str(exc).splitlines()[0]}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("use_case", sorted(BREAKS))
def test_a_broken_store_fails_the_use_case_suite(
    use_case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    description, apply = BREAKS[use_case]
    target, name, replacement = apply()
    monkeypatch.setattr(target, name, replacement)
    failures = run_suite(SUITES / f"{use_case}.yaml")
    print(f"{use_case}: {description}\n  " + "\n  ".join(failures))
    assert failures, f"{use_case}: the suite still passes with the break: {description}"
