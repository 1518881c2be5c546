"""Which YAML files are scenario files (one rule for pytest, run, validate and list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios.discovery import find, looks_like_scenario_file


@pytest.mark.parametrize(
    ("text", "is_scenario"),
    [
        (b"scenarios:\n  - name: x\n", True),
        (b"use_case: basic_chat\ntags: [a]\nscenarios:\n", True),
        (b"\xef\xbb\xbfscenarios:\n", True),  # a byte order mark before the key
        (b'"scenarios": []\n', True),
        (b"'scenarios' : []\n", True),
        (b'{"scenarios": [{"name": "x", "steps": []}]}', True),  # JSON is YAML too
        (b"# yaml-language-server: $schema=../schemas/scenario.schema.json\nfoo: 1\n", True),
        (b"use_cases:\n  - id: basic_chat\n", False),
        (b"deploy:\n  scenarios: [blue, green]\n", False),  # nested, not top level
        (b"scenario:\n  - name: typo\n", False),
    ],
)
def test_a_top_level_scenarios_key_makes_a_scenario_file(
    tmp_path: Path, text: bytes, is_scenario: bool
) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(text)
    assert looks_like_scenario_file(path) is is_scenario


def test_find_reports_what_it_passed_over_and_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "s.yml").write_text("scenarios: []\n")
    (tmp_path / "a" / "notes.yaml").write_text("owner: me\n")
    (tmp_path / "a" / "wip").mkdir()
    (tmp_path / "a" / "wip" / "w.yaml").write_text("scenarios: []\n")
    (tmp_path / "a" / "x.feature").write_text("Feature: x\n")
    found = find(
        [tmp_path / "a", tmp_path / "nope", f"{tmp_path / 'a' / 's.yml'}::name"],
        exclude=["a/wip/*"],
        root=tmp_path,
    )
    assert found.yaml == [tmp_path / "a" / "s.yml", tmp_path / "a" / "s.yml"]
    assert found.features == [tmp_path / "a" / "x.feature"]
    assert found.skipped == [(tmp_path / "a" / "notes.yaml", "no top-level 'scenarios:' key")]
    assert found.missing == [str(tmp_path / "nope")]
