"""Exact outputs of the report formats' pure parts (changes, content rows, HTML helpers, the
atomic writer), called in-process with tiny reports: every sentence and figure is compared
whole, so a changed word, sign, unit or order shows."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import stat
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.formats import FORMATS, changes, write_formats
from prism_scenarios.formats import content as c
from prism_scenarios.formats.html import (
    PNG,
    _data_uri,
    content_security_policy,
    render_html,
    tone,
)


def _case(uid: str, passing: bool = True, score: float = 1.0, name: str = "") -> dict[str, Any]:
    return {
        "use_case_id": uid,
        "use_case_name": name or uid.upper(),
        "use_case_category": "chat",
        "required_components": [],
        "validation_timestamp": "t",
        "validation_successful": passing,
        "validation_score": score,
        "component_tests": {},
        "integration_tests": {},
        "end_to_end_tests": {},
        "performance_meets_requirements": True,
        "average_response_time_ms": 1.0,
    }


def _finding(test: str, name: str, severity: str, message: str = "") -> dict[str, Any]:
    return {
        "test": test,
        "name": name,
        "severity": severity,
        "allure_severity": "normal",
        "outcome": "failed",
        "message": message,
    }


def _report(**fields: Any) -> FFSystemIntegrationReportDTO:
    data: dict[str, Any] = {
        "report_id": "r1",
        "generation_timestamp": "2026-01-01T00:00:00+00:00",
        "testing_period": "P",
        "total_tests_executed": 10,
        "tests_passed": 8,
        "tests_failed": 1,
        "tests_skipped": 1,
        "overall_success_rate": 88.888,
        "memory_layer_integration": True,
        "panel_session_integration": True,
        "rag_integration": False,
        "tool_execution_integration": True,
        "analytics_integration": True,
        "use_cases_validated": 2,
        "use_cases_passing": 1,
        "use_case_success_rate": 50.0,
        "use_case_results": [_case("a"), _case("b", passing=False, score=0.5)],
        "average_response_time_ms": 12.3456,
        "peak_memory_usage_mb": 100.0,
        "peak_cpu_usage_percent": 50.0,
        "throughput_rps": 4.0,
        "security_tests_passed": True,
        "vulnerabilities_found": 0,
        "security_score": 1.0,
        "migration_tests_passed": None,
        "data_integrity_validated": True,
        "rollback_procedures_validated": False,
        "system_stability_score": 0.9,
        "error_rate_percent": 1.234,
        "uptime_percent": None,
        "production_readiness_score": 0.5,
    }
    data.update(fields)
    return FFSystemIntegrationReportDTO.model_validate(data)


# --- changes ---------------------------------------------------------------------------------


def test_no_change_gives_no_lines() -> None:
    assert changes(_report(), _report()) == []


def test_count_changes_with_signed_deltas_in_topic_order() -> None:
    old = _report()
    new = _report(total_tests_executed=12, tests_passed=7, tests_failed=4, tests_skipped=0)
    assert changes(old, new) == [
        "Tests executed: 10 -> 12 (+2)",
        "Tests passed: 8 -> 7 (-1)",
        "Tests failed: 1 -> 4 (+3)",
        "Tests skipped: 1 -> 0 (-1)",
    ]


def test_use_case_changes_name_each_use_case() -> None:
    old = _report(use_case_results=[_case("a"), _case("b", False), _case("gone"), _case("x")])
    new = _report(
        use_case_results=[_case("a", False), _case("b"), _case("new1"), _case("new2", False)]
    )
    assert changes(old, new) == [
        "Use case stopped passing: a (A)",
        "Use case started passing: b (B)",
        "Use case no longer judged: gone (GONE)",
        "Use case no longer judged: x (X)",
        "Use case newly judged: new1 (NEW1), passing",
        "Use case newly judged: new2 (NEW2), failing",
    ]


def test_a_use_case_failing_in_both_runs_is_no_change() -> None:
    old = _report(use_case_results=[_case("b", False)])
    assert changes(old, _report(use_case_results=[_case("b", False)])) == []


def test_readiness_score_change_in_points_and_to_not_judged() -> None:
    assert changes(
        _report(production_readiness_score=0.5), _report(production_readiness_score=0.75)
    ) == ["Production readiness score: 50.0% -> 75.0% (+25.0 points)"]
    assert changes(
        _report(production_readiness_score=0.75), _report(production_readiness_score=0.5)
    ) == ["Production readiness score: 75.0% -> 50.0% (-25.0 points)"]
    assert changes(_report(), _report(production_readiness_score=None)) == [
        "Production readiness score: 50.0% -> not judged"
    ]
    assert changes(_report(production_readiness_score=None), _report()) == [
        "Production readiness score: not judged -> 50.0%"
    ]


def test_integration_changes_sorted_by_label() -> None:
    old = _report()
    new = _report(rag_integration=True, analytics_integration=False, memory_layer_integration=False)
    assert changes(old, new) == [
        "Analytics integration: now failing",
        "Memory layer integration: now failing",
        "RAG integration: now passing",
    ]


def test_security_findings_new_and_gone_and_vulnerability_count() -> None:
    old = _report(
        security_findings=[_finding("t1", "old", "low"), _finding("t0", "kept", "high")],
        vulnerabilities_found=2,
    )
    new = _report(
        security_findings=[
            _finding("t0", "kept", "high"),
            _finding("t3", "zz", "medium"),
            _finding("t2", "aa", "critical"),
        ],
        vulnerabilities_found=None,
    )
    assert changes(old, new) == [
        "New security finding [critical]: aa (t2)",
        "New security finding [medium]: zz (t3)",
        "Security finding gone [low]: old (t1)",
        "Vulnerabilities found: 2 -> not run",
    ]
    assert changes(_report(vulnerabilities_found=None), _report(vulnerabilities_found=3)) == [
        "Vulnerabilities found: not run -> 3"
    ]


def test_findings_from_a_run_without_security_tests() -> None:
    new = _report(security_findings=[_finding("t", "n", "high")])
    assert changes(_report(security_findings=None), new) == ["New security finding [high]: n (t)"]
    assert changes(new, _report(security_findings=None)) == ["Security finding gone [high]: n (t)"]


def test_performance_changes_with_units_and_percentages() -> None:
    old = _report(peak_cpu_usage_percent=None, throughput_rps=0.0)
    new = _report(
        performance_source="load run",
        average_response_time_ms=24.6912,
        throughput_rps=5.0,
        peak_memory_usage_mb=75.0,
        peak_cpu_usage_percent=40.0,
    )
    assert changes(old, new) == [
        "Performance source changed (figures may not compare): functional run -> load run",
        "Average response time: 12.3456 ms -> 24.6912 ms (+100.0%)",
        "Throughput: 0 req/s -> 5 req/s",
        "Peak memory: 100 MB -> 75 MB (-25.0%)",
        "Peak CPU: not measured -> 40%",
    ]
    assert changes(new, old)[-1] == "Peak CPU: 40% -> not measured"


# --- content ---------------------------------------------------------------------------------


def test_number_share_flag_printable() -> None:
    assert c.number(None) == "not measured"
    assert c.number(1234.5678) == "1,234.6"
    assert c.number(1234.5678, "ms", 3) == "1,234.568 ms"
    assert c.number(12.345, "%") == "12.3%"
    assert c.number(2.0, "%", 2) == "2.00%"
    assert c.share(None) == "not measured"
    assert c.share(0.12345) == "12.3%"
    assert c.flag(None) == "not run"
    assert c.flag(True) == "passed"
    assert c.flag(False) == "FAILED"
    assert c.flag(True, yes="validated") == "validated"
    assert c.flag(False, no="bad") == "bad"
    assert c.printable("a\x00b\tc\x1f\x7f\x9f\n\xa0") == "a\ufffdb\tc\ufffd\ufffd\ufffd\n\xa0"
    assert c.printable("\x08\x0b") == "\ufffd\ufffd"
    assert c.printable(3) == "3"


def test_verdict_of_a_judged_report() -> None:
    report = _report(
        production_ready=False,
        readiness_criteria=[
            {"criterion": "tests", "met": True, "measured": "m", "required": "r"},
            {"criterion": "use_cases", "met": False, "measured": "m", "required": "r"},
            {"criterion": "migration", "met": None, "measured": "m", "required": "r"},
        ],
    )
    assert c.verdict(report) == c.Verdict(
        "Production readiness score 50.0%: NOT production ready",
        "not-ready",
        ["Criteria not met: use_cases, migration"],
    )
    assert c.verdict(_report(production_readiness_score=1.0, production_ready=True)) == c.Verdict(
        "Production readiness score 100.0%: production ready", "ready", []
    )


def test_verdict_without_production_ready_uses_a_full_score() -> None:
    assert c.verdict(_report(production_readiness_score=1.0)).tone == "ready"
    assert c.verdict(_report(production_readiness_score=0.999)).tone == "not-ready"


def test_verdict_of_an_unjudged_report_says_why() -> None:
    unjudged = _report(production_readiness_score=None, run_scope="partial")
    assert c.verdict(unjudged) == c.Verdict(
        "Production readiness not judged: partial run, no readiness score in the report",
        "unjudged",
    )
    noted = _report(production_readiness_score=None, notes={"readiness": "R", "x": "y"})
    assert c.verdict(noted).headline == "Production readiness not judged: R"
    both = _report(production_readiness_score=None, notes={"readiness": "R", "scope": "S"})
    assert c.verdict(both).headline == "Production readiness not judged: S"


def test_sections_rows_in_page_order() -> None:
    report = _report(
        notes={"scope": "SC", "performance": "PE", "security": "SE", "migration": "MI"},
        average_cpu_usage_percent=None,
        load_tests_passed=True,
    )
    assert c.sections(report) == [
        c.Section(
            "Tests",
            [
                ("Executed", "10"),
                ("Passed", "8"),
                ("Failed", "1"),
                ("Skipped", "1"),
                ("Success rate", "88.9%"),
                ("Use cases passing", "1 of 2"),
                ("Use case success rate", "50.0%"),
                ("Error rate", "1.23%"),
                ("Stability score", "90.0%"),
                ("Run scope", "full"),
                ("Testing period", "P"),
            ],
            "SC",
        ),
        c.Section(
            "Component integration",
            [
                ("Memory layer", "passed"),
                ("Panel sessions", "passed"),
                ("RAG", "FAILED"),
                ("Tool execution", "passed"),
                ("Analytics", "passed"),
            ],
        ),
        c.Section(
            "Performance",
            [
                ("Source", "functional run"),
                ("Average response time", "12.346 ms"),
                ("Throughput", "4.0 req/s"),
                ("Peak memory", "100.0 MB"),
                ("Peak CPU", "50.0%"),
                ("Average CPU", "not measured"),
                ("Load tests", "passed"),
            ],
            "PE",
        ),
        c.Section(
            "Security",
            [
                ("Security tests", "passed"),
                ("Vulnerabilities found", "0"),
                ("Security score", "100.0%"),
            ],
            "SE",
        ),
        c.Section(
            "Migration",
            [
                ("Migration tests", "not run"),
                ("Data integrity", "validated"),
                ("Rollback procedures", "FAILED"),
            ],
            "MI",
        ),
    ]
    assert c.sections(_report())[0].note == ""
    assert c.security_section(_report(vulnerabilities_found=None)).rows[1] == (
        "Vulnerabilities found",
        "not run",
    )


def test_other_notes_leave_out_the_sections_notes_and_sort() -> None:
    notes = {"zeta": "1", "scope": "s", "alpha": "2", "performance": "p", "security": "x"}
    notes["migration"] = "m"
    assert c.other_notes(_report(notes=notes)) == [("alpha", "2"), ("zeta", "1")]


def test_use_case_finding_and_criteria_rows() -> None:
    assert c.use_case_rows(_report()) == [("a", "A", "PASS", "1.00"), ("b", "B", "FAIL", "0.50")]
    findings = [
        _finding("t9", "b", "low", "msg"),
        _finding("t2", "z", "critical"),
        _finding("t1", "a", "medium", "m2"),
        _finding("t0", "a", "medium", "m1"),
        _finding("t5", "h", "high", "mh"),
    ]
    assert c.finding_rows(_report(security_findings=findings)) == [
        ("CRITICAL", "z", "t2"),
        ("HIGH", "h", "mh"),
        ("MEDIUM", "a", "m1"),
        ("MEDIUM", "a", "m2"),
        ("LOW", "b", "msg"),
    ]
    assert c.finding_rows(_report(security_findings=None)) == []
    criteria = [
        {"criterion": "x", "met": True, "measured": "1", "required": "2"},
        {"criterion": "y", "met": False, "measured": "3", "required": "4"},
        {"criterion": "z", "met": None, "measured": "5", "required": "6"},
    ]
    assert c.criteria_rows(_report(readiness_criteria=criteria)) == [
        ("x", "met", "1", "2"),
        ("y", "NOT MET", "3", "4"),
        ("z", "not judged", "5", "6"),
    ]


# --- html helpers ----------------------------------------------------------------------------


def test_tone_classes() -> None:
    for word in ("passed", "validated", "met", "PASS"):
        assert tone(word) == "good"
    for word in ("FAILED", "NOT MET", "FAIL", "CRITICAL", "HIGH"):
        assert tone(word) == "bad"
    assert tone("MEDIUM") == "" and tone("pass") == ""


def test_content_security_policy_hashes_the_stylesheet() -> None:
    digest = base64.b64encode(hashlib.sha256(b"p{}").digest()).decode()
    assert content_security_policy("p{}") == (
        "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        f"form-action 'none'; img-src data:; style-src 'sha256-{digest}'"
    )


def test_data_uri_accepts_only_png() -> None:
    png = PNG + b"rest"
    assert _data_uri(png) == "data:image/png;base64," + base64.b64encode(png).decode()
    with pytest.raises(ValueError, match="^charts must be PNG images$"):
        _data_uri(b"GIF89a")


def test_html_embeds_given_charts_and_change_lines() -> None:
    png = PNG + b"x"
    page = render_html(_report(tests_failed=2), previous=_report(), charts={"Cap <1>": png})
    assert 'src="' + _data_uri(png) + '"' in page
    assert "Cap &lt;1&gt;" in page
    assert "Tests failed: 1 -&gt; 2 (+1)" in page
    assert "Tests failed: 1 -&gt; 2" not in render_html(_report(tests_failed=2))


# --- write_formats ---------------------------------------------------------------------------


def test_formats_constant() -> None:
    assert FORMATS == ("json", "html", "pdf")


def test_write_json_once_in_asked_order_readable_by_others(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "dir"
    report = _report()
    written = write_formats(report, out, ["json", "json"])
    assert written == [out / "system_integration_report.json"]
    assert written[0].read_text("utf-8") == report.model_dump_json(indent=2)
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o644
    assert sorted(p.name for p in out.iterdir()) == ["system_integration_report.json"]
    assert json.loads(written[0].read_text())["report_id"] == "r1"


def _tiny_png() -> bytes:
    """A valid 1x1 grey PNG, built by hand (no drawing library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        PNG
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def test_html_and_pdf_share_one_drawing_of_the_charts(tmp_path: Path, monkeypatch) -> None:
    from prism_scenarios.formats import charts

    drawn: list[str] = []

    def draw(report: FFSystemIntegrationReportDTO) -> dict[str, bytes]:
        drawn.append(report.report_id)
        return {"Only chart": _tiny_png()}

    monkeypatch.setattr(charts, "draw_charts", draw)
    written = write_formats(_report(tests_failed=2), tmp_path, ["pdf", "html"], previous=_report())
    assert written == [
        tmp_path / "system_integration_report.pdf",
        tmp_path / "system_integration_report.html",
    ]
    assert drawn == ["r1"]
    page = written[1].read_text("utf-8")
    assert "Tests failed: 1 -&gt; 2 (+1)" in page
    assert page.count("data:image/png;base64,") == 1
    assert "Only chart" in page
    assert written[0].read_bytes().startswith(b"%PDF-")


def test_unknown_formats_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as raised:
        write_formats(_report(), tmp_path / "x", ["json", "docx", "md"])
    assert str(raised.value) == "unknown report format(s) 'docx', 'md': allowed are json, html, pdf"
    assert not (tmp_path / "x").exists()


def test_a_failed_write_leaves_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    import os

    def boom(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_formats(_report(), tmp_path, ["json"])
    assert list(tmp_path.iterdir()) == []


# --- pdf -------------------------------------------------------------------------------------


def _pdf_pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


SECTIONS_TEXT = (
    "Component integration\nMemory layer passed\nPanel sessions passed\nRAG FAILED\n"
    "Tool execution passed\nAnalytics passed\nPerformance\nSource functional run\n"
    "Average response time 12.346 ms\nThroughput 4.0 req/s\nPeak memory 100.0 MB\n"
    "Peak CPU 50.0%\nAverage CPU not measured\nLoad tests not run\n"
)


def test_pdf_of_a_quiet_run_says_what_is_missing() -> None:
    from prism_scenarios.formats.pdf import render_pdf

    report = _report(recommended_fixes=["fix a"], notes={"zz": "note z"})
    pages = _pdf_pages(render_pdf(report, previous=_report(), charts={}))
    assert pages == [
        "System integration report\nr1 · generated 2026-01-01T00:00:00+00:00 · full run\n"
        "Production readiness score 50.0%: NOT production ready\n"
        "Changes since the last run\n• Nothing changed since the last run.\n"
        "Tests\nExecuted 10\nPassed 8\nFailed 1\nSkipped 1\nSuccess rate 88.9%\n"
        "Use cases passing 1 of 2\nUse case success rate 50.0%\nError rate 1.23%\n"
        "Stability score 90.0%\nRun scope full\nTesting period P\n"
        + SECTIONS_TEXT
        + "Security\nSecurity tests passed\nVulnerabilities found 0\nSecurity score 100.0%\n"
        "Migration\nMigration tests not run\nData integrity validated\n"
        "Rollback procedures FAILED\nUse cases (1 of 2 pass)\nId Name Result Score\n"
        "a A PASS 1.00\nb B FAIL 0.50\nSecurity findings\npage 1",
        "No security test ran.\nCritical issues\n• None.\nRecommended fixes\n• fix a\n"
        "Notes\nzz note z\npage 2",
    ]


def test_pdf_of_a_run_with_findings_criteria_and_a_chart() -> None:
    from prism_scenarios.formats.pdf import render_pdf

    report = _report(
        tests_failed=2,
        security_findings=[_finding("t1", "n1", "high", "msg")],
        critical_issues=["crit one"],
        readiness_criteria=[{"criterion": "tests", "met": False, "measured": "1", "required": "2"}],
        notes={"scope": "scope note", "performance": "perf note"},
    )
    pages = _pdf_pages(render_pdf(report, previous=_report(), charts={"Cap one": _tiny_png()}))
    assert pages[0].startswith(
        "System integration report\nr1 · generated 2026-01-01T00:00:00+00:00 · full run\n"
        "Production readiness score 50.0%: NOT production ready\nCriteria not met: tests\n"
        "Changes since the last run\n• Tests failed: 1 -> 2 (+1)\n"
        "• New security finding [high]: n1 (t1)\nTests\n"
    )
    assert "Testing period P\nscope note\nComponent integration\n" in pages[0]
    assert "Load tests not run\nperf note\nSecurity\n" in pages[0]
    assert pages[0].endswith("Rollback procedures FAILED\nReadiness criteria\npage 1")
    assert pages[1:] == [
        "Criterion Verdict Measured Required\ntests NOT MET 1 2\nUse cases (1 of 2 pass)\n"
        "Id Name Result Score\na A PASS 1.00\nb B FAIL 0.50\nSecurity findings\n"
        "Severity Test Message\nHIGH n1 msg\nCritical issues\n• crit one\npage 2",
        "Cap one\npage 3",
    ]


def test_pdf_no_findings_when_security_ran_clean(monkeypatch) -> None:
    from prism_scenarios.formats import pdf

    drawn: list[str] = []

    def paragraph(self: Any, text: str, **kwargs: Any) -> None:
        drawn.append(text)

    monkeypatch.setattr(pdf._Page, "paragraph", paragraph)
    page = pdf._Page()
    pdf._findings(page, _report(security_findings=[]))
    assert drawn == ["No findings."]


# --- charts ----------------------------------------------------------------------------------


def _figure_of(monkeypatch, draw: Any, report: FFSystemIntegrationReportDTO) -> Any:
    """The matplotlib Figure a chart function draws (instead of its PNG bytes)."""
    from prism_scenarios.formats import charts

    captured: list[Any] = []
    monkeypatch.setattr(charts, "_png", lambda figure: captured.append(figure) or b"png")
    assert draw(report) == b"png"
    (figure,) = captured
    return figure


def _bars(axis: Any) -> list[tuple[float, str]]:
    from matplotlib.colors import to_hex

    return [(bar.get_width(), to_hex(bar.get_facecolor())) for bar in axis.patches]


def test_use_case_chart(monkeypatch) -> None:
    from prism_scenarios.formats import charts

    report = _report(use_case_results=[_case("a$x$"), _case("b", False, 0.25), _case("c\x01")])
    figure = _figure_of(monkeypatch, charts.use_case_chart, report)
    (axis,) = figure.axes
    assert axis.get_title() == "Use cases: 1 of 2 pass"
    assert axis.get_xlabel() == "validation score (green: passes, red: fails)"
    assert axis.get_xlim() == (0.0, 1.0)
    assert _bars(axis) == [(1.0, "#2e7d32"), (0.25, "#c62828"), (1.0, "#2e7d32")]
    assert [bar.get_y() + bar.get_height() / 2 for bar in axis.patches] == [2, 1, 0]
    labels = {tick.get_text() for tick in axis.get_yticklabels()}
    assert labels == {"a$x$", "b", "c\ufffd"}
    assert tuple(figure.get_size_inches()) == (8.0, 2.0)
    many = _report(use_case_results=[_case(str(i)) for i in range(10)])
    figure = _figure_of(monkeypatch, charts.use_case_chart, many)
    assert tuple(figure.get_size_inches()) == pytest.approx((8.0, 0.28 * 10 + 1))


def test_readiness_chart_of_criteria(monkeypatch) -> None:
    from prism_scenarios.formats import charts

    criteria = [
        {"criterion": "x", "met": True, "measured": "", "required": ""},
        {"criterion": "y", "met": False, "measured": "", "required": ""},
        {"criterion": "z", "met": None, "measured": "", "required": ""},
    ]
    figure = _figure_of(monkeypatch, charts.readiness_chart, _report(readiness_criteria=criteria))
    (axis,) = figure.axes
    assert (axis.get_title(), axis.get_xlabel()) == (
        "Readiness criteria",
        "green: met, red: not met, grey: not judged",
    )
    assert _bars(axis) == [(1.0, "#2e7d32"), (1.0, "#c62828"), (1.0, "#9e9e9e")]
    assert [(t.get_text(), t.get_position()) for t in axis.texts] == [
        ("met", (1.01, 2)),
        ("not met", (1.01, 1)),
        ("not judged", (1.01, 0)),
    ]
    assert axis.get_xlim() == (0.0, 1.25)
    assert list(axis.get_xticks()) == [0, 0.25, 0.5, 0.75, 1.0]
    assert tuple(figure.get_size_inches()) == pytest.approx((8.0, 0.4 * 3 + 1.2))


def test_readiness_chart_without_criteria_shows_the_scores(monkeypatch) -> None:
    from prism_scenarios.formats import charts

    report = _report(overall_success_rate=100.0, system_stability_score=0.5, security_score=None)
    figure = _figure_of(monkeypatch, charts.readiness_chart, report)
    (axis,) = figure.axes
    assert (axis.get_title(), axis.get_xlabel()) == (
        "Readiness figures",
        "share (grey: not measured)",
    )
    # the first figure on top
    assert [(t.get_text(), t.get_position()[1]) for t in axis.get_yticklabels()] == [
        ("tests passing", 4),
        ("use cases passing", 3),
        ("stability", 2),
        ("security", 1),
        ("readiness", 0),
    ]
    assert _bars(axis) == [
        (1.0, "#2e7d32"),
        (0.5, "#c62828"),
        (0.5, "#c62828"),
        (0.0, "#9e9e9e"),
        (0.5, "#c62828"),
    ]
    assert [t.get_text() for t in axis.texts] == [
        "100.0%",
        "50.0%",
        "50.0%",
        "not measured",
        "50.0%",
    ]
    assert [t.get_position()[0] for t in axis.texts] == [1.01, 0.51, 0.51, 0.01, 0.51]


def test_draw_charts_captions(monkeypatch) -> None:
    from prism_scenarios.formats import charts

    monkeypatch.setattr(charts, "use_case_chart", lambda report: b"u")
    monkeypatch.setattr(charts, "readiness_chart", lambda report: b"r")
    assert charts.draw_charts(_report()) == {"Use case scores": b"u", "Readiness": b"r"}


def test_chart_png_is_a_png() -> None:
    from matplotlib.figure import Figure

    from prism_scenarios.formats import charts

    figure = Figure(figsize=(1, 1))
    figure.add_subplot()
    png = charts._png(figure)
    assert png.startswith(PNG)
    width, height = struct.unpack(">II", png[16:24])
    # 1 inch at 110 dpi, widened by the tight bounding box to the tick labels
    assert (width, height) == (147, 138)


def _styled(pdf: bytes) -> list[tuple[str, str, float, tuple[float, ...] | None]]:
    """(text, font, size, fill colour) of every text run of the PDF, in drawing order."""
    from pypdf import PdfReader

    runs: list[tuple[str, str, float, tuple[float, ...] | None]] = []
    state: dict[str, tuple[float, ...] | None] = {"colour": None}

    def before(operator: bytes, args: list[Any], cm: Any, tm: Any) -> None:
        if operator in (b"g", b"rg"):
            state["colour"] = tuple(round(float(a), 3) for a in args)

    def text(value: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if value.strip():
            name = str(font.get("/BaseFont", "")).split("+")[-1] if font else ""
            runs.append((value.strip(), name, size, state["colour"]))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return runs


def test_pdf_styles_title_headings_notes_and_banner() -> None:
    from pypdf import PdfReader

    from prism_scenarios.formats.pdf import render_pdf

    report = _report(notes={"scope": "scope note"}, recommended_fixes=["fix a"])
    pdf = render_pdf(report, charts={})
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "System integration report r1"
    runs = {run[0]: run[1:] for run in _styled(pdf)}
    assert runs["System integration report"][:2] == ("DejaVuSansBold", 16.0)
    assert runs["r1 · generated 2026-01-01T00:00:00+00:00 · full run"] == (
        "DejaVuSansBook",
        8.0,
        (0.353,),  # grey 90
    )
    assert runs["Production readiness score 50.0%: NOT production ready"][:2] == (
        "DejaVuSansBold",
        11.0,
    )
    assert runs["Tests"] == ("DejaVuSansBold", 12.0, (0.0,))
    assert runs["Executed"] == ("DejaVuSansBook", 8.5, (0.0,))
    assert runs["scope note"] == ("DejaVuSansBook", 7.0, (0.353,))
    assert runs["• fix a"] == ("DejaVuSansBook", 9.0, (0.0,))
    assert runs["page 1"][:2] == ("DejaVuSansBook", 8.0)
    # the banner's fill: not ready is (255, 235, 238)
    streams = b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert b"1 0.9216 0.9333 rg" in streams
    ready = render_pdf(_report(production_readiness_score=1.0, production_ready=True), charts={})
    streams = b"".join(p.get_contents().get_data() for p in PdfReader(io.BytesIO(ready)).pages)
    assert b"0.9098 0.9608 0.9137 rg" in streams and b"1 0.9216 0.9333 rg" not in streams


def test_verdict_follows_production_ready_over_the_score() -> None:
    full_but_not_ready = _report(production_readiness_score=1.0, production_ready=False)
    assert c.verdict(full_but_not_ready).headline == (
        "Production readiness score 100.0%: NOT production ready"
    )
    assert c.verdict(_report(production_readiness_score=0.5, production_ready=True)).tone == "ready"


def test_sections_without_notes_have_empty_notes() -> None:
    assert [s.note for s in c.sections(_report())] == ["", "", "", "", ""]


def test_html_shows_the_readiness_criteria() -> None:
    criteria = [{"criterion": "crit_x", "met": False, "measured": "m-7", "required": "r-9"}]
    page = render_html(_report(readiness_criteria=criteria))
    for text in ("crit_x", "m-7", "r-9", "NOT MET"):
        assert text in page
    assert "crit_x" not in render_html(_report())
