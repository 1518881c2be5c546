"""Tags: what a Gherkin scenario's tags say (``@use_case:<id>``, ``@component:<name>``) and
how a tag becomes a pytest marker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

NAMESPACES = ("use_case:", "component:")


class FeatureTags(NamedTuple):
    tags: list[str]  # sorted, scenario and feature tags together
    use_case: str | None  # the first ``use_case:`` tag (one use case per scenario)
    components: list[str]


def feature_tags(*tag_sets: Iterable[str]) -> FeatureTags:
    tags = sorted(set().union(*tag_sets))
    use_case = next((t.split(":", 1)[1] for t in tags if t.startswith("use_case:")), None)
    components = [t.split(":", 1)[1] for t in tags if t.startswith("component:")]
    return FeatureTags(tags, use_case, components)


def marker_name(tag: str) -> str:
    """``use_case:rag_chat`` → ``use_case_rag_chat``. Only ``:`` changes: pytest reads a
    marker registration up to its first ``:``, so such a name could never be registered."""
    return tag.replace(":", "_")
