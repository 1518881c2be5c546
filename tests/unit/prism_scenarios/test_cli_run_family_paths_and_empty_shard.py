"""``prism-scenarios run`` in this process on a project with family folders (the family's
folder is what pytest runs) and a shard that holds no test (it still counts as passed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prism_scenarios.cli import main

NOOP = "scenarios:\n  - name: {name}\n    steps:\n      - noop: {{}}\n"


@pytest.fixture
def family_proj(project_dir: Path) -> Path:
    (project_dir / "scenarios" / "component").mkdir(parents=True)
    (project_dir / "scenarios" / "component" / "a.yaml").write_text(NOOP.format(name="one"))
    (project_dir / "prism-scenarios.yaml").write_text("report_output_formats: [json]\n")
    return project_dir


def test_a_family_layout_runs_the_family_folders(family_proj: Path, capsys) -> None:
    assert main(["run", "--no-html", "-n", "0"]) == 0
    capsys.readouterr()
    summary = json.loads((family_proj / "reports" / "summary.json").read_text())
    assert [t["nodeid"] for t in summary["tests"]] == ["scenarios/component/a.yaml::one"]


def test_the_empty_shard_of_a_one_test_suite_exits_0(family_proj: Path, capsys) -> None:
    codes, counts = [], []
    for index in (1, 2):
        report_dir = family_proj / f"shard{index}"
        codes.append(
            main(
                [
                    "run",
                    "--no-html",
                    "-n",
                    "0",
                    "scenarios",
                    "--shard",
                    f"{index}/2",
                    "--report-dir",
                    str(report_dir),
                ]
            )
        )
        capsys.readouterr()
        counts.append(json.loads((report_dir / "summary.json").read_text())["shard"]["tests"])
    assert sorted(counts) == [0, 1]
    assert codes == [0, 0]
