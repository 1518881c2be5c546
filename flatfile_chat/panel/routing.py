"""Topic delegation (use case 16, our rule): pick the expert whose confidence reaches the
threshold, otherwise the fallback participant (``generalist``).

Confidences are either given by the caller (a scripted or model-made judgement) or derived
here: for each expertise area, the share of its words found in the message; an expert's
confidence is its best area. Ties go to the participant listed first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flatfile_chat.panel.models import FFPanelParticipantDTO

_WORD = re.compile(r"\w+")


def _terms(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def expertise_confidences(
    content: str, candidates: Sequence[FFPanelParticipantDTO]
) -> dict[str, float]:
    words = _terms(content)
    result = {}
    for participant in candidates:
        best = 0.0
        for area in participant.expertise_areas:
            area_terms = _terms(area)
            if area_terms:
                best = max(best, len(area_terms & words) / len(area_terms))
        result[participant.participant_id] = round(best, 4)
    return result


def choose(
    confidences: Mapping[str, float], order: Sequence[str], threshold: float, fallback: str
) -> tuple[str, float, bool]:
    """(chosen participant, its confidence, fell back?)."""
    ranked = sorted(confidences, key=lambda p: (-confidences[p], order.index(p)))
    if ranked and confidences[ranked[0]] >= threshold:
        return ranked[0], confidences[ranked[0]], False
    best = confidences[ranked[0]] if ranked else 0.0
    return fallback, best, True
