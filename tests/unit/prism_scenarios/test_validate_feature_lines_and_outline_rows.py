"""validate's feature line (ok when nothing is undefined), and outline rows rendered for
features bound by the project's own steps: a bound row passes, an unbound one is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import validate

OUTLINE = """\
Feature: Bound outline
  Scenario Outline: greeting <name>
    Given the bound outline step for "<name>"

    Examples:
      | name  |
      | alice |
      | bob   |
"""

BINDING = """\
from pytest_bdd import given, scenarios

scenarios("outline.feature")


@given('the bound outline step for "alice"')
def _alice():
    pass
"""


def test_a_bound_outline_is_checked_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bound_outline_rows_for_validate"
    folder.mkdir()
    (folder / "outline.feature").write_text(OUTLINE)
    (folder / "test_bound_outline_rows_for_validate.py").write_text(BINDING)
    monkeypatch.chdir(tmp_path)
    lines, _, unreadable = validate.undefined_steps(
        [folder / "outline.feature"], collect_from=[folder]
    )
    assert unreadable == []
    assert [line for line in lines if "undefined step" in line] == [
        "bound_outline_rows_for_validate/outline.feature:3: undefined step: "
        'Given the bound outline step for "bob"'
    ]


def test_features_without_undefined_steps_are_reported_ok(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project_dir / "features").mkdir()
    (project_dir / "features" / "a.feature").write_text(
        'Feature: A\n  Scenario: s\n    Given user "alice" exists\n'
    )
    monkeypatch.setattr(validate, "undefined_steps", lambda *_, **__: ([], [], []))
    assert validate.validate_paths(["features"]) == 0
    assert capsys.readouterr().out == (
        "ok    1 feature files, 0 undefined steps\n"
        "0 YAML files, 0 load files, 1 feature files: all valid\n"
    )
