"""The memory layer names are defined once (flatfile_chat/config/memory_layers.py); every
other spelling of them must equal that definition, in order (promotion goes up the list)."""

from __future__ import annotations

import typing

import pytest

from flatfile_chat import memory
from flatfile_chat.config import memory_layers
from flatfile_chat.config.memory import PROMOTION_KEYS, FFMemoryLayerConfigDTO
from flatfile_chat.config.memory_layers import LAYERS, MemoryLayerName, MemoryLayerType
from flatfile_chat.config.panel import FFPanelSessionConfigDTO
from flatfile_chat.errors import ValidationError
from flatfile_chat.memory.inputs import parse_layer

EXPECTED = ("immediate", "short_term", "medium_term", "long_term", "permanent")


def test_the_layer_names_in_promotion_order() -> None:
    assert LAYERS == EXPECTED
    assert tuple(MemoryLayerType) == EXPECTED


def test_the_literal_type_equals_the_definition() -> None:
    assert typing.get_args(MemoryLayerName) == LAYERS


def test_the_memory_package_reexports_the_one_enum() -> None:
    assert memory.MemoryLayerType is memory_layers.MemoryLayerType


def test_per_layer_defaults_cover_each_layer_in_order() -> None:
    config = FFMemoryLayerConfigDTO()
    assert tuple(config.retention_policies) == LAYERS
    assert tuple(config.compression_thresholds) == LAYERS
    assert config.retention_policies[MemoryLayerType.PERMANENT] == -1
    assert tuple(PROMOTION_KEYS) == LAYERS[:-1]
    assert set(config.promotion_thresholds) == set(PROMOTION_KEYS.values())


def test_the_panel_insight_layer_is_a_layer() -> None:
    assert FFPanelSessionConfigDTO().memory_layer_for_insights == MemoryLayerType.MEDIUM_TERM


def test_a_caller_naming_an_unknown_layer_is_told_the_defined_ones() -> None:
    with pytest.raises(ValidationError) as err:
        parse_layer("medium")
    assert ", ".join(LAYERS) in str(err.value)
