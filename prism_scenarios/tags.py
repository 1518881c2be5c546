"""What a Gherkin scenario's tags say: ``@use_case:<id>`` and ``@component:<name>``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class FeatureTags(NamedTuple):
    tags: list[str]  # sorted, scenario and feature tags together
    use_case: str | None  # the first ``use_case:`` tag (one use case per scenario)
    components: list[str]


def feature_tags(*tag_sets: Iterable[str]) -> FeatureTags:
    tags = sorted(set().union(*tag_sets))
    use_case = next((t.split(":", 1)[1] for t in tags if t.startswith("use_case:")), None)
    components = [t.split(":", 1)[1] for t in tags if t.startswith("component:")]
    return FeatureTags(tags, use_case, components)
