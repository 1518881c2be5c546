"""Small conversions pinned exactly: bytes in action results, figures with units, the model
behind an optional type, generated-store counts, and the atomic write's cleanup."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic
import pytest

from prism_scenarios.actions import migration, outputs
from prism_scenarios.engine import to_data
from prism_scenarios.formats import write
from prism_scenarios.formats.content import number


def test_bytes_become_text_with_undecodable_bytes_replaced() -> None:
    assert to_data(b"a\xff") == "a\ufffd"
    assert to_data({"k": [b"ok"]}) == {"k": ["ok"]}


def test_a_unit_ending_in_space_is_trimmed_from_the_figure() -> None:
    assert number(1234.5, "ms ") == "1,234.5 ms"
    assert number(2, " ") == "2.0"
    assert number(50, "%") == "50.0%"


class _Shown(pydantic.BaseModel):
    x: int


def test_an_optional_model_is_its_principal_model() -> None:
    assert outputs.principal_model(_Shown | None) is _Shown
    assert outputs.principal_model(list[_Shown | None]) is _Shown


def test_generated_counts_are_lengths_of_collections_or_integers() -> None:
    assert migration._number(["a", "b", "c"]) == 3
    assert migration._number({"a": 1}) == 1
    assert migration._number("7") == 7


def test_a_failed_replace_whose_temp_file_is_gone_raises_the_original_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replace_after_losing_temp(src: str, dst: object) -> None:
        os.unlink(src)
        raise PermissionError("replace refused")

    monkeypatch.setattr(write.os, "replace", replace_after_losing_temp)
    target = tmp_path / "report.json"
    with pytest.raises(PermissionError, match="^replace refused$"):
        write._atomic_write(target, b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
