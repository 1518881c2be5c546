"""How render_html hands Allure its history file, with a stand-in for the Allure CLI (the real
one is exercised in tests/integration/test_allure_history.py): a copy that replaces
reports/history.jsonl only when a report came out, the same results re-rendered replacing
their entry, and the limit passed on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prism_scenarios import report

FAKE_ALLURE = """\
#!/bin/sh
# generate RESULTS --output OUT --config CONFIG: what it was given, then one history line
out="$4"
mkdir -p "$out"
echo report > "$out/index.html"
lines=$(cat "$PRISM_ALLURE_HISTORY" 2>/dev/null | wc -l)
printf '{"run": "%s", "saw": %s, "limit": "%s"}\\n' "$FAKE_RUN" "$lines" \\
  "$PRISM_ALLURE_HISTORY_LIMIT" >> "$PRISM_ALLURE_HISTORY"
exit "${FAKE_EXIT:-0}"
"""


@pytest.fixture
def fake_allure(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "allure-home"
    binary = home / "node_modules" / ".bin" / "allure"
    binary.parent.mkdir(parents=True)
    binary.write_text(FAKE_ALLURE)
    binary.chmod(0o755)
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(home))
    monkeypatch.delenv("PRISM_ALLURE_HISTORY_LIMIT", raising=False)
    real_which = report.shutil.which
    monkeypatch.setattr(
        report.shutil, "which", lambda name: "/usr/bin/node" if name == "node" else real_which(name)
    )
    return home


def _results(root: Path, *uuids: str) -> Path:
    folder = root / "allure-results"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*-result.json"):
        old.unlink()
    for uuid in uuids:
        (folder / f"{uuid}-result.json").write_text("{}")
    return folder


def _lines(report_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (report_dir / "history.jsonl").read_text().splitlines()]


def test_each_new_run_adds_an_entry_a_rerender_replaces_its_own(
    tmp_path: Path, fake_allure: Path, monkeypatch
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setenv("FAKE_RUN", "one")
    assert report.render_html(_results(reports, "a"), reports) is not None
    monkeypatch.setenv("FAKE_RUN", "two")
    report.render_html(_results(reports, "b"), reports)
    assert [(e["run"], e["saw"], e["limit"]) for e in _lines(reports)] == [
        ("one", 0, str(report.HISTORY_LIMIT)),
        ("two", 1, str(report.HISTORY_LIMIT)),
    ]
    monkeypatch.setenv("FAKE_RUN", "two again")
    report.render_html(reports / "allure-results", reports)  # `prism-scenarios report`
    # Allure saw only the first run (never this run in its own history), and it replaced
    assert [(e["run"], e["saw"]) for e in _lines(reports)] == [("one", 0), ("two again", 1)]
    assert [p.name for p in reports.iterdir() if p.name.startswith(".history.jsonl.")] == [
        ".history.jsonl.source"
    ]  # no working copy left behind


def test_a_failed_render_leaves_the_history_as_it_was(
    tmp_path: Path, fake_allure: Path, monkeypatch
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setenv("FAKE_RUN", "good")
    report.render_html(_results(reports, "a"), reports)
    before = (reports / "history.jsonl").read_bytes()
    monkeypatch.setenv("FAKE_RUN", "broken")
    monkeypatch.setenv("FAKE_EXIT", "3")
    assert report.render_html(_results(reports, "b"), reports) is None
    assert (reports / "history.jsonl").read_bytes() == before
    assert (reports / "allure-report" / "index.html").exists()  # the last good report stays
    assert not [
        p
        for p in reports.iterdir()
        if p.name.startswith(".history.jsonl.") and p.name != ".history.jsonl.source"
    ]


@pytest.mark.parametrize("value, passed", [("5", "5"), ("0", "0"), ("lots", "20"), ("-3", "0")])
def test_the_limit_comes_from_the_environment(
    tmp_path: Path, fake_allure: Path, monkeypatch, value: str, passed: str
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setenv("PRISM_ALLURE_HISTORY_LIMIT", value)
    report.render_html(_results(reports, "a"), reports)
    assert _lines(reports)[-1]["limit"] == passed


def test_no_history_when_asked(tmp_path: Path, fake_allure: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    # the stand-in then appends to a file named by an empty variable: nothing in reports/
    report.render_html(_results(reports, "a"), reports, history=False)
    assert not (reports / "history.jsonl").exists()
