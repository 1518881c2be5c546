"""Consensus from participant positions, and action items from insight text.

Levels describe how the panel split (upstream's bands, plus ``conflict``):

- one distinct position → ``unanimous``;
- exactly two distinct positions held by equally many participants → ``conflict`` (two opposed
  camps of the same size, e.g. 1 vs 1 or 2 vs 2): nobody can claim a majority;
- otherwise by the largest group's share: ≥ 0.8 ``strong_majority``, ≥ 0.6
  ``simple_majority``, else ``no_consensus``.

``consensus_reached`` is the panel's own bar: a majority level (unanimous, strong or simple)
*and* a share of at least ``consensus_threshold``. So 2 of 3 is a ``simple_majority`` (0.667)
but reaches consensus only when the threshold is ≤ 0.667 (the default 0.7 says no).
Positions are compared case- and whitespace-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flatfile_chat.panel.models import ConsensusLevel

_MAJORITY = frozenset(
    {ConsensusLevel.UNANIMOUS, ConsensusLevel.STRONG_MAJORITY, ConsensusLevel.SIMPLE_MAJORITY}
)
ACTION_MARKERS = ("action item:", "todo:", "task:", "follow up:", "next step:")
_MARKER_RE = re.compile("|".join(re.escape(m) for m in ACTION_MARKERS), re.IGNORECASE)


@dataclass(frozen=True)
class ConsensusResult:
    level: ConsensusLevel
    agreement_score: float
    consensus_reached: bool
    majority_position: str | None
    groups: dict[str, list[str]]  # normalised position -> participant ids


def normalise_position(position: str) -> str:
    return " ".join(position.casefold().split())


def assess(positions: Mapping[str, str], threshold: float) -> ConsensusResult | None:
    """None when nobody stated a position (an observation, not a vote)."""
    if not positions:
        return None
    groups: dict[str, list[str]] = {}
    for participant_id, position in positions.items():
        groups.setdefault(normalise_position(position), []).append(participant_id)
    sizes = sorted((len(members) for members in groups.values()), reverse=True)
    total = sum(sizes)
    share = sizes[0] / total
    if len(groups) == 1:
        level = ConsensusLevel.UNANIMOUS
    elif len(groups) == 2 and sizes[0] == sizes[1]:
        level = ConsensusLevel.CONFLICT
    elif share >= 0.8:
        level = ConsensusLevel.STRONG_MAJORITY
    elif share >= 0.6:
        level = ConsensusLevel.SIMPLE_MAJORITY
    else:
        level = ConsensusLevel.NO_CONSENSUS
    leaders = [p for p, members in groups.items() if len(members) == sizes[0]]
    majority = leaders[0] if len(leaders) == 1 else None
    return ConsensusResult(
        level=level,
        agreement_score=round(share, 4),
        consensus_reached=level in _MAJORITY and share >= threshold,
        majority_position=majority,
        groups=groups,
    )


def extract_action_items(text: str) -> list[str]:
    """The text after each marker (``action item:``, ``todo:`` ...), one item per line."""
    items = []
    for line in text.splitlines():
        match = _MARKER_RE.search(line)
        if match:
            item = line[match.end() :].strip()
            if item:
                items.append(item)
    return items


def responsible_parties(items: Iterable[str], participant_ids: Iterable[str]) -> list[str]:
    """Participants named in action items (``@id`` or the bare id as a word)."""
    ids = list(participant_ids)
    found = []
    for pid in ids:
        pattern = re.compile(rf"(?<![\w.-])@?{re.escape(pid)}(?![\w-])")
        if any(pattern.search(item) for item in items):
            found.append(pid)
    return found
