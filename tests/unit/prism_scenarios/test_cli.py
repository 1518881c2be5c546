"""The prism-scenarios command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prism_scenarios.cli import main

OUTLINE = """\
Feature: Outlines
  Scenario Outline: greeting <name>
    Given user "<name>" exists
    And "<name>" has a chat session "intro"
    When "<name>" says "<text>" in "intro" and the assistant replies "ok"
    Then the user dances
    And user "<name>" exist

    Examples:
      | name  | text  |
      | alice | hello |
      | bob   | hi    |
"""


def test_validate_lists_undefined_steps_including_outlines(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "outline.feature").write_text(OUTLINE)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "ok.yaml").write_text(
        "scenarios:\n  - name: x\n    steps: [{noop: {}}]\n"
    )
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    # The placeholders are rendered per row, so only the truly undefined steps are reported.
    assert "features/outline.feature:6: undefined step: Then the user dances" in out
    assert (
        'features/outline.feature:7: undefined step: And user "alice" exist\n'
        '      did you mean: And [a ]user "<user>"[ exists]' in out
    )
    assert out.count("undefined step:") == 3  # line 7 once per example row
    assert "ok    scenarios/ok.yaml (1 scenarios)" in out
    assert "built-in sentences are not used here (--unused lists them)" in out
    assert main(["validate", "--unused"]) == 1
    assert (
        'info  sentence no feature here uses: then the result at "<path>" is '
        "[<negation>]null (result_null)" in capsys.readouterr().out
    )


def test_validate_passes_on_the_shipped_suites(capsys, monkeypatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[3])
    assert main(["validate"]) == 0, capsys.readouterr().out


def test_validate_checks_load_files_with_file_and_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "scenarios" / "load").mkdir(parents=True)
    (tmp_path / "scenarios" / "ok.yaml").write_text(
        "scenarios:\n  - name: x\n    steps: [{noop: {}}]\n"
    )
    load = tmp_path / "scenarios" / "load" / "l.yaml"
    load.write_text("name: l\nmix: [{scenario: x}]\nmodel: {type: open, rate: 5, duration: 1s}\n")
    assert main(["validate"]) == 0
    assert (
        "ok    scenarios/load/l.yaml (load file: 1 scenarios in its mix)" in capsys.readouterr().out
    )
    load.write_text(
        "name: l\nmix: [{scenario: x}]\nmodel: {type: open, rate: 5, "
        "duration: 1s}\nthresholds:\n  iterations: ['p(95)<<3']\n"
    )
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  scenarios/load/l.yaml" in out
    assert "scenarios/load/l.yaml:5:" in out, out
    # a folder of load files only is checked too, not refused as "no scenario file"
    assert main(["validate", "scenarios/load"]) == 1
    assert "scenarios/load/l.yaml:5:" in capsys.readouterr().out


def test_schema_check_detects_drift(tmp_path: Path, capsys) -> None:
    target = tmp_path / "scenario.schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    assert main(["schema", "--check", "--output", str(target)]) == 0
    target.write_text(target.read_text().replace('"noop"', '"nope"', 1))
    assert main(["schema", "--check", "--output", str(target)]) == 1


def test_actions_catalog_text_and_markdown(capsys) -> None:
    assert main(["actions", "--component", "documents"]) == 0
    text = capsys.readouterr().out
    assert "documents.upload  [documents]" in text and "user.create" not in text
    assert main(["actions", "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "### `chat.turn`" in markdown and "| `reply` | `str` | required |" in markdown


@pytest.mark.subprocess
@pytest.mark.parametrize("command", ["run", "validate", "list", "actions", "schema", "report"])
def test_every_command_has_help(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "usage: prism-scenarios" in done.stdout


@pytest.mark.subprocess
def test_run_returns_pytest_exit_code_and_writes_summary(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "one.yaml").write_text("""\
scenarios:
  - name: passes
    steps: [{expect.value: {value: 1}, expect: [{equals: 1}]}]
  - name: fails
    steps: [{expect.value: {value: 1}, expect: [{equals: 2}]}]
""")
    done = subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", "run", "--no-html", "--report-dir", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "prism-scenarios: 1 passed, 1 failed" in done.stdout
    assert "FAIL scenarios/one.yaml::fails" in done.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counts"] == {"passed": 1, "failed": 1}
    assert (tmp_path / "out" / "junit.xml").exists()
    assert list((tmp_path / "out" / "allure-results").glob("*-result.json"))


@pytest.mark.subprocess
def test_project_actions_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prism-scenarios]\naction_modules = ["team_actions"]\n'
    )
    (tmp_path / "team_actions.py").write_text('''\
from prism_scenarios.actions import Params, action


class Shout(Params):
    text: str


@action("team.shout", component="runner")
async def shout(world, p: Shout) -> str:
    """Upper-case a text (a project's own action)."""
    return p.text.upper()
''')
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "team.yaml").write_text(
        "scenarios:\n  - name: shouts\n    steps:\n      - team.shout: {text: hi}\n"
        "        expect: [{equals: HI}]\n"
    )
    actions = subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", "actions"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "team.shout  [runner]" in actions.stdout
    run = subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", "run", "--no-html", "--report-dir", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
