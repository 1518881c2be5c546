"""Tags: what a Gherkin scenario's tags say (``@use_case:<id>``, ``@component:<name>``,
``@asvs:<requirement>``, ``@severity:<level>``, ``@seed_flag:<flag>``) and how a tag becomes a
pytest marker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

NAMESPACES = ("use_case:", "component:", "asvs:", "severity:", "seed_flag:")
# Plain tags registered as markers like the namespaced ones (@security, @load).
OWN_TAGS = frozenset({"security", "load"})
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")  # Allure's levels


class FeatureTags(NamedTuple):
    tags: list[str]  # sorted, scenario and feature tags together
    use_case: str | None  # the first ``use_case:`` tag (one use case per scenario)
    components: list[str]


def feature_tags(*tag_sets: Iterable[str]) -> FeatureTags:
    tags = sorted(set().union(*tag_sets))
    use_case = next((t.split(":", 1)[1] for t in tags if t.startswith("use_case:")), None)
    components = [t.split(":", 1)[1] for t in tags if t.startswith("component:")]
    return FeatureTags(tags, use_case, components)


def asvs_ids(tags: Iterable[str]) -> list[str]:
    """OWASP ASVS requirement ids named by ``asvs:<id>`` tags (an Allure ``asvs`` label each)."""
    return sorted({t.split(":", 1)[1] for t in tags if t.startswith("asvs:")})


def severity_tag(tags: Iterable[str]) -> str | None:
    """A Gherkin scenario's severity: its first ``severity:<level>`` tag naming one of
    :data:`SEVERITIES` (``prism-scenarios validate`` reports any other)."""
    return next(
        (
            t.split(":", 1)[1]
            for t in sorted(tags)
            if t.startswith("severity:") and t.split(":", 1)[1] in SEVERITIES
        ),
        None,
    )


def marker_name(tag: str) -> str:
    """``use_case:rag_chat`` → ``use_case_rag_chat`` (``asvs:5.3.2`` → ``asvs_5.3.2``). Only
    ``:`` changes: pytest reads a marker registration up to its first ``:``, so such a name
    could never be registered."""
    return tag.replace(":", "_")
