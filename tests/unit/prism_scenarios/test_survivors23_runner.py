"""Behaviour left unchecked by mutation run 23 (runner group)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import matchers
from prism_scenarios.errors import ScenarioError
from prism_scenarios.fuzz import Finding, write_scenario
from prism_scenarios.interpolate import lookup
from prism_scenarios.loader import load_file
from prism_scenarios.tags import severity_tag


def _load(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return load_file(path, display="case.yaml")


def test_unknown_variable_lists_the_known_names_comma_separated() -> None:
    with pytest.raises(ScenarioError) as caught:
        lookup("missing", {"beta": 1, "alpha": 2})
    assert str(caught.value).endswith("unknown variable ${missing} (known: alpha, beta)")


def test_severity_tag_ignores_a_level_with_a_colon_in_it() -> None:
    assert severity_tag({"severity:x:critical"}) is None
    assert severity_tag({"severity:x:critical", "severity:minor"}) == "minor"


def test_fuzz_scenario_file_name_keeps_leading_and_trailing_x(tmp_path: Path) -> None:
    finding = Finding(action="xml.export", error="ParseX", message="m", params={}, seed=1)
    path = write_scenario(finding, tmp_path)
    assert path.name == "xml_export_ParseX.yaml"


def test_subset_miss_cuts_both_values_at_80_characters() -> None:
    got = "g" * 100
    want = "w" * 100
    message = matchers._subset_miss({"k": got}, {"k": want})
    shown_got = '"' + "g" * 79 + "…"
    shown_want = '"' + "w" * 79 + "…"
    assert message == f"key 'k' is {shown_got}, not {shown_want}"


def test_file_level_telemetry_and_config_reach_each_scenario(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
telemetry: true
config:
  storage:
    max_messages_per_session: 7
scenarios:
  - name: plain
    steps:
      - noop: {}
  - name: own
    telemetry: false
    config:
      storage:
        max_sessions_per_user: 3
    steps:
      - noop: {}
""",
    )
    plain, own = spec.scenarios
    assert plain.telemetry is True
    assert own.telemetry is False
    assert plain.config == {"storage": {"max_messages_per_session": 7}}
    assert own.config == {"storage": {"max_messages_per_session": 7, "max_sessions_per_user": 3}}


def test_attack_run_id_joins_example_and_payload_with_a_dash(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
scenarios:
  - name: probe
    attack: {payload: [xss]}
    examples:
      - {size: 1}
    steps:
      - noop: {}
""",
    )
    assert spec.scenarios
    for scenario in spec.scenarios:
        assert scenario.example_id == f"size=1-{scenario.attack.payload.id}"
