"""Integrity checks over ``panel_sessions/``: what the end-to-end scenarios rely on.

- ``conversation_turn`` runs 1..N, strictly increasing, in ``panel_messages.jsonl``;
- every message's ``participant_id`` is a participant of the panel;
- ``session_metadata.json`` ``current_turn`` equals the last turn;
- every participant has its ``participants/{id}_context.json``;
- ``decision_history.json`` lists exactly the decision insights (when tracking is on).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from flatfile_chat.errors import FFError
from flatfile_chat.panel.layout import PanelLayout
from flatfile_chat.store import FFStorageManager
from flatfile_chat.store.integrity import Changed, IntegrityChecker, IntegrityIssue, affected
from flatfile_chat.store.layout import StoreContext

_REGISTERED: weakref.WeakSet[IntegrityChecker] = weakref.WeakSet()


def register_checks(store: FFStorageManager) -> None:
    """Register once per store, however many managers are built over it."""
    if store.integrity not in _REGISTERED:
        store.integrity.register(check_panels)
        _REGISTERED.add(store.integrity)


def check_panels(ctx: StoreContext, changed: Changed = None) -> Iterable[IntegrityIssue]:
    """``changed``: paths written since the last check (None: check every panel)."""
    layout = PanelLayout(ctx.fs)
    root = layout.root()
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not affected(changed, folder):
            continue
        try:
            yield from _check_panel(ctx, layout, folder.name)
        except FFError as exc:
            yield IntegrityIssue("json_invalid", ctx.fs.rel(folder), str(exc))


def _check_panel(ctx: StoreContext, layout: PanelLayout, panel_id: str) -> Iterable[IntegrityIssue]:
    fs = ctx.fs
    config = fs.read_json(layout.config(panel_id), default=None)
    if config is None:
        yield IntegrityIssue(
            "orphan_file",
            fs.rel(layout.panel_dir(panel_id)),
            "panel folder has no panel_config.json",
        )
        return
    members = {p["participant_id"] for p in config["participants"]}
    messages = fs.read_jsonl(layout.messages(panel_id))
    rel = fs.rel(layout.messages(panel_id))
    for line, message in enumerate(messages, start=1):
        if message.get("conversation_turn") != line:
            yield IntegrityIssue(
                "counter_mismatch",
                rel,
                f"conversation_turn is {message.get('conversation_turn')}, expected {line}",
                line,
            )
        if message.get("participant_id") not in members:
            yield IntegrityIssue(
                "orphan_file",
                rel,
                f"participant_id {message.get('participant_id')!r} is not a participant",
                line,
            )
    state = fs.read_json(layout.metadata(panel_id))
    if state.get("current_turn") != len(messages):
        yield IntegrityIssue(
            "counter_mismatch",
            fs.rel(layout.metadata(panel_id)),
            f"current_turn is {state.get('current_turn')} but "
            f"panel_messages.jsonl has {len(messages)} lines",
        )
    for pid in sorted(members):
        if not layout.participant_context(panel_id, pid).is_file():
            yield IntegrityIssue(
                "document_missing",
                fs.rel(layout.participants_dir(panel_id)),
                f"participant {pid!r} has no {pid}_context.json",
            )
    if config["config"].get("enable_decision_tracking"):
        insights = fs.read_jsonl(layout.insights(panel_id))
        wanted = [i["insight_id"] for i in insights if i.get("is_decision")]
        history = fs.read_json(layout.decision_history(panel_id), default={"decisions": []})
        listed = [d["insight_id"] for d in history.get("decisions", [])]
        if listed != wanted:
            yield IntegrityIssue(
                "counter_mismatch",
                fs.rel(layout.decision_history(panel_id)),
                f"lists {len(listed)} decisions, insights.jsonl has {len(wanted)}",
            )
