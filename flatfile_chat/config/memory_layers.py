"""The memory layer names (spec 2.1), defined once, lowest first: immediate → short_term →
medium_term → long_term → permanent.

They live in config, not in :mod:`flatfile_chat.memory`, because the config sections need
them (retention and thresholds per layer, the panel's insight layer) and config sits below
the managers in the import layers (pyproject.toml, [tool.importlinter]).
:mod:`flatfile_chat.memory` re-exports :class:`MemoryLayerType`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class MemoryLayerType(StrEnum):
    IMMEDIATE = "immediate"
    SHORT_TERM = "short_term"
    MEDIUM_TERM = "medium_term"
    LONG_TERM = "long_term"
    PERMANENT = "permanent"


# Promotion order: an item moves from a layer to the next one.
LAYERS: tuple[str, ...] = tuple(layer.value for layer in MemoryLayerType)

# The same names as a type, for pydantic fields and mypy (which need literal values); a unit
# test (tests/unit/memory/test_layer_names.py) checks it equals LAYERS.
MemoryLayerName = Literal["immediate", "short_term", "medium_term", "long_term", "permanent"]
