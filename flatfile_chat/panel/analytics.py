"""Panel analytics, computed from the files every time (upstream cached them in memory).

- ``message_distribution`` lists every participant (zeros included), so it sums to the number
  of lines in ``panel_messages.jsonl``; ``total_insights`` is the line count of insights.jsonl.
- ``participation_inequality`` is the Gini coefficient of message counts (0 = equal).
- ``decision_rate`` = decisions / insights; ``consensus_rate`` = insights that reached
  consensus / insights that carried positions.
- ``panel_effectiveness_score`` = min(1, 0.4·decision_rate + 0.3·consensus_rate +
  0.3·(1 − inequality)) (upstream's formula).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.panel.models import FFPanelAnalyticsDTO


def gini(values: Sequence[int]) -> float:
    total = sum(values)
    if not values or total == 0:
        return 0.0
    n = len(values)
    diff = sum(abs(a - b) for a in values for b in values)
    return round(diff / (2 * n * total), 4)


def compute(
    config: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    insights: Sequence[Mapping[str, Any]],
    now: datetime,
) -> FFPanelAnalyticsDTO:
    participant_ids = [p["participant_id"] for p in config["participants"]]
    counts = Counter(m["participant_id"] for m in messages)
    words: Counter[str] = Counter()
    for message in messages:
        words[message["participant_id"]] += len(message["content"].split())
    distribution = {pid: counts.get(pid, 0) for pid in participant_ids}
    inequality = gini(list(distribution.values()))
    decisions = sum(1 for i in insights if i.get("is_decision"))
    with_positions = sum(1 for i in insights if i.get("participant_positions"))
    reached = sum(1 for i in insights if i.get("consensus_reached"))
    levels = Counter(i["consensus_level"] for i in insights if i.get("consensus_level"))
    decision_rate = decisions / len(insights) if insights else 0.0
    consensus_rate = reached / with_positions if with_positions else 0.0
    end = parse_timestamp(config["ended_at"]) if config.get("ended_at") else now
    duration = (end - parse_timestamp(config["created_at"])).total_seconds() / 60
    top = (
        max(
            participant_ids,
            key=lambda p: (distribution[p], -participant_ids.index(p)),
            default=None,
        )
        if messages
        else None
    )
    return FFPanelAnalyticsDTO(
        panel_id=config["panel_id"],
        session_type=config["session_type"],
        status=config["status"],
        generated_at=now.isoformat(timespec="microseconds"),
        total_messages=len(messages),
        total_participants=len(participant_ids),
        message_distribution=distribution,
        word_count_distribution={pid: words.get(pid, 0) for pid in participant_ids},
        messages_by_type=dict(Counter(m.get("message_type", "conversation") for m in messages)),
        thread_count=len({m.get("thread_id") for m in messages if m.get("thread_id")}),
        total_insights=len(insights),
        total_decisions=decisions,
        insights_with_positions=with_positions,
        consensus_achieved_count=reached,
        consensus_distribution=dict(levels),
        action_items_count=sum(len(i.get("action_items", [])) for i in insights),
        participation_inequality=inequality,
        decision_rate=round(decision_rate, 4),
        consensus_rate=round(consensus_rate, 4),
        panel_effectiveness_score=round(
            min(1.0, 0.4 * decision_rate + 0.3 * consensus_rate + 0.3 * (1 - inequality)), 4
        ),
        most_active_participant=top,
        average_message_words=round(sum(words.values()) / len(messages), 2) if messages else 0.0,
        session_duration_minutes=round(max(0.0, duration), 2),
    )


def participation_stats(
    config: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Per-participant counters, rewritten (derived) after every message."""
    stats: dict[str, dict[str, Any]] = {
        p["participant_id"]: {"messages_sent": 0, "words_contributed": 0, "last_active": None}
        for p in config["participants"]
    }
    for message in messages:
        entry = stats.setdefault(
            message["participant_id"],
            {"messages_sent": 0, "words_contributed": 0, "last_active": None},
        )
        entry["messages_sent"] += 1
        entry["words_contributed"] += len(message["content"].split())
        entry["last_active"] = message["timestamp"]
    return {"panel_id": config["panel_id"], "total_messages": len(messages), "participants": stats}


def session_summary(
    config: Mapping[str, Any], analytics: FFPanelAnalyticsDTO, insights: Sequence[Mapping[str, Any]]
) -> str:
    """A deterministic summary (no LLM here): counts, decisions and their consensus."""
    parts = [
        f"{config['session_type']} panel {config['panel_id']}: "
        f"{analytics.total_messages} messages from {analytics.total_participants} "
        f"participants, {analytics.total_insights} insights, "
        f"{analytics.total_decisions} decisions."
    ]
    for insight in insights:
        if insight.get("is_decision"):
            level = insight.get("consensus_level") or "no positions"
            parts.append(
                f"Decision: {insight.get('decision_text') or insight['content']} ({level})."
            )
    return " ".join(parts)
