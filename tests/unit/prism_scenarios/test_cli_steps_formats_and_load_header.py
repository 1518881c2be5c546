"""Small pieces of the command line pinned exactly: ``steps --match`` prints each matching
sentence with its parameters on their own lines, the report formats are written against the
previous report, and the performance family's header is flushed before the load run starts."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios import cli, families, formats
from prism_scenarios.load import command as load_command


def test_steps_match_prints_the_sentence_then_its_parameters(capsys) -> None:
    assert cli.main(["steps", "--match", 'Given user "alice" exists']) == 0
    assert capsys.readouterr().out == 'Given [a ]user "<user>"[ exists]\n    user: text\n'


def test_the_formats_are_written_against_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    seen: list[tuple[Any, ...]] = []

    def write_formats(report: Any, folder: Path, asked: list[str], **kwargs: Any) -> list[Path]:
        seen.append((report, folder, asked, kwargs))
        return [folder / "system_integration_report.html"]

    monkeypatch.setattr(formats, "write_formats", write_formats)
    monkeypatch.setattr(formats, "changes", lambda previous, report: ["score 50 -> 60"])
    report, previous = object(), object()
    config = SimpleNamespace(report_output_formats=["json", "html"])
    cli._write_formats(report, tmp_path, config, previous)
    assert seen == [(report, tmp_path, ["html"], {"previous": previous})]
    assert capsys.readouterr().out == (
        f"  integration report: {tmp_path}/ (system_integration_report.json, "
        "system_integration_report.html)\n"
        "  since the last run: score 50 -> 60\n"
    )


class _Screen:
    """A stdout that keeps what was written and what had been flushed."""

    def __init__(self) -> None:
        self.written = ""
        self.flushed = ""

    def write(self, text: str) -> int:
        self.written += text
        return len(text)

    def flush(self) -> None:
        self.flushed = self.written


def test_the_performance_header_is_on_screen_before_the_load_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = _Screen()
    shown_at_start: list[str] = []

    def run(namespace: argparse.Namespace) -> int:
        shown_at_start.append(screen.flushed)
        return 0

    monkeypatch.setattr(families, "load_files", lambda root: [tmp_path / "l.yaml"])
    monkeypatch.setattr(load_command, "run", run)
    monkeypatch.setattr("sys.stdout", screen)
    args = argparse.Namespace(load_profile="quick", no_html=True)
    assert cli._run_load_family(args, tmp_path, None) == 0
    assert shown_at_start == ["\nperformance family: 1 load file(s), profile quick\n"]
