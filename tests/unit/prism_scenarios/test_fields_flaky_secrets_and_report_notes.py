"""Small helpers: annotated dataclass field descriptions, flaky marking after a middle
failure, the quoted forms of secrets, partial-run reasons and the throughput note."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from prism_scenarios import cli, project
from prism_scenarios.actions.outputs import fields
from prism_scenarios.allure_retries import mark_flaky
from prism_scenarios.interpolate import secret_forms
from prism_scenarios.use_cases.readiness_inputs import system_report


@dataclass
class _Described:
    count: Annotated[int, Field(description="how many rows")]


def test_dataclass_fields_keep_annotated_descriptions() -> None:
    [field] = fields(_Described)
    assert field.name == "count"
    assert field.description == "how many rows"


def _result(path: Path, stop: int, status: str) -> None:
    path.write_text(json.dumps({"historyId": "h", "stop": stop, "status": status}))


def test_a_pass_after_a_middle_failure_is_flaky(tmp_path: Path) -> None:
    # The first attempt passed, the second failed, the last passed: still flaky.
    _result(tmp_path / "a-result.json", 1, "passed")
    _result(tmp_path / "b-result.json", 2, "failed")
    _result(tmp_path / "c-result.json", 3, "passed")
    assert mark_flaky(tmp_path) == 1
    last = json.loads((tmp_path / "c-result.json").read_text())
    assert last["statusDetails"] == {"flaky": True}


def test_secret_forms_cover_every_secret() -> None:
    forms = secret_forms(['a"b', "c'd"])
    assert 'a"b' in forms
    assert 'a\\"b' in forms
    assert "c'd" in forms


def test_partial_because_splits_option_at_first_equals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(project, "_root", None)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "use_cases.yaml").write_text("use_cases: []\n")
    args = argparse.Namespace(suite=None, tags=None, keyword=None, paths=[])
    assert cli._partial_because(args, [], ["-k=a=b"]) == ["pytest -k=a=b"]


def test_system_report_throughput_note() -> None:
    report = system_report([], [], elapsed=1.0, started=0.0)
    assert report.notes["throughput"] == "throughput_rps = engine steps per second of step time"
