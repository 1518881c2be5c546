"""The security suite covers every seed flag of FFSecurityTestConfigDTO in YAML and Gherkin,
each scenario tagged with ASVS ids, ``security`` and a severity; ASVS tags become Allure
``asvs`` labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prism_scenarios.dto import FFSecurityTestConfigDTO
from prism_scenarios.loader import load_file
from prism_scenarios.tags import SEVERITIES, asvs_ids, severity_tag

ROOT = Path(__file__).resolve().parents[3]
YAML_DIR = ROOT / "scenarios" / "security"
FEATURE_DIR = ROOT / "features" / "security"
FLAGS = sorted(name for name in FFSecurityTestConfigDTO.model_fields if name.startswith("test_"))
ASVS = re.compile(r"^asvs:\d{1,2}\.\d{1,2}\.\d{1,2}$")


def _yaml_scenarios():
    for path in sorted(YAML_DIR.glob("*.yaml")):
        yield from load_file(path, scan_depth="basic").scenarios


def _gherkin_scenarios() -> list[tuple[str, set[str]]]:
    """(name, tags incl. the feature's) of every scenario in the security features."""
    found = []
    for path in sorted(FEATURE_DIR.glob("*.feature")):
        feature_tags: set[str] = set()
        pending: set[str] = set()
        for line in path.read_text().splitlines():
            text = line.strip()
            if text.startswith("@"):
                pending |= {t.lstrip("@") for t in text.split()}
            elif text.startswith("Feature:"):
                feature_tags, pending = pending, set()
            elif text.startswith(("Scenario:", "Scenario Outline:")):
                found.append((text.split(":", 1)[1].strip(), feature_tags | pending))
                pending = set()
    return found


def test_every_seed_flag_has_yaml_and_gherkin_scenarios():
    yaml_flags = {
        t.split(":", 1)[1] for s in _yaml_scenarios() for t in s.tags if t.startswith("seed_flag:")
    }
    gherkin_flags = {
        t.split(":", 1)[1]
        for _, tags in _gherkin_scenarios()
        for t in tags
        if t.startswith("seed_flag:")
    }
    assert len(FLAGS) == 14
    assert sorted(set(FLAGS) - yaml_flags) == []
    assert sorted(set(FLAGS) - gherkin_flags) == []


def test_every_yaml_scenario_is_tagged_security_asvs_and_severity():
    for spec in _yaml_scenarios():
        assert "security" in spec.tags, spec.name
        assert [t for t in spec.tags if t.startswith("asvs:")], spec.name
        assert all(ASVS.match(t) for t in spec.tags if t.startswith("asvs:")), spec.tags
        assert spec.severity in SEVERITIES


@pytest.mark.parametrize("name,tags", _gherkin_scenarios())
def test_every_gherkin_scenario_is_tagged_security_asvs_and_severity(name, tags):
    assert "security" in tags
    assert asvs_ids(tags), name
    assert all(ASVS.match(t) for t in tags if t.startswith("asvs:")), tags
    assert severity_tag(tags) in SEVERITIES, name


def test_asvs_tags_become_labels_and_severity_tags_are_checked():
    assert asvs_ids(["security", "asvs:5.3.2", "asvs:1.2.4", "asvs:5.3.2"]) == ["1.2.4", "5.3.2"]
    assert severity_tag(["severity:critical", "security"]) == "critical"
    assert severity_tag(["severity:urgent"]) is None  # not an Allure level: no label


def test_attack_scenarios_expand_to_one_run_per_payload_with_corpus_line_ids():
    ids = [s.display_name for s in _yaml_scenarios() if s.attack is not None]
    assert ids and all(re.search(r"\[[a-z_]+-\d+\]$", i) for i in ids)
    assert len(ids) == len(set(ids))
