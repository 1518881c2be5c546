"""HTML and PDF forms of the system integration report: the figures are there, report text
(which the security suite fills with script payloads) stays inert text, the HTML allows no
script, the PDF has its charts, changes() says what moved, write_formats writes only what it
is asked for."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.formats import changes, render_html, render_pdf, write_formats
from prism_scenarios.formats.charts import draw_charts

PAYLOAD = (
    "<img src=x onerror=\"document.title='pwned';window.__pwned=1\">"
    "<script>window.__pwned=1</script>"
)
NAMES = [
    "basic_chat",
    "multimodal_chat",
    "rag_chat",
    "multimodal_rag",
    "translation_chat",
    "personal_assistant",
    "interactive_tutor",
    "language_tutor",
    "exam_assistant",
    "ai_notetaker",
    "chatops_assistant",
    "cross_team_concierge",
    "scene_critic",
    "multi_ai_panel",
    "ai_debate",
    "topic_delegation",
    "ai_game_master",
    "auto_task_agent",
    "memory_chat",
    "thought_partner",
    "story_world_chat",
    "prompt_sandbox",
]


def _use_case(uid: str, *, passing: bool = True, name: str | None = None) -> dict[str, Any]:
    return {
        "use_case_id": uid,
        "use_case_name": name or uid.replace("_", " ").title(),
        "use_case_category": "chat",
        "required_components": ["storage"],
        "validation_timestamp": "2026-12-05T16:39:47+00:00",
        "validation_successful": passing,
        "validation_score": 1.0 if passing else 0.5,
        "component_tests": {},
        "integration_tests": {},
        "end_to_end_tests": {},
        "performance_meets_requirements": True,
        "average_response_time_ms": 10.0,
        "blocking_issues": [] if passing else [f"{uid}: a scenario failed"],
    }


def _report(**changes_: Any) -> FFSystemIntegrationReportDTO:
    """A full run with known figures; use case 2 fails and carries the payload in its name."""
    cases = [_use_case(uid) for uid in NAMES]
    cases[2] = _use_case("rag_chat", passing=False, name=f"RAG chat {PAYLOAD}")
    data: dict[str, Any] = {
        "report_id": "report_42",
        "generation_timestamp": "2026-12-05T16:39:47+00:00",
        "testing_period": "2026-12-05T16:38:44+00:00/63.3s",
        "total_tests_executed": 1107,
        "tests_passed": 1093,
        "tests_failed": 14,
        "tests_skipped": 3,
        "overall_success_rate": 98.74,
        "memory_layer_integration": True,
        "panel_session_integration": True,
        "rag_integration": False,
        "tool_execution_integration": True,
        "analytics_integration": True,
        "use_cases_validated": 22,
        "use_cases_passing": 21,
        "use_case_success_rate": 95.45,
        "use_case_results": cases,
        "average_response_time_ms": 45.557,
        "peak_memory_usage_mb": 215.3,
        "peak_cpu_usage_percent": 62.4,
        "throughput_rps": 8.4,
        "performance_source": "load run 2026-12-05 basic_chat [quick]",
        "load_tests_passed": True,
        "security_tests_passed": False,
        "vulnerabilities_found": 1,
        "security_score": 0.9667,
        "security_findings": [
            {
                "test": "scenarios/security/xss.yaml::stored xss",
                "name": "stored xss",
                "severity": "high",
                "allure_severity": "critical",
                "outcome": "failed",
                "message": f"rendered {PAYLOAD} raw",
            }
        ],
        "migration_tests_passed": True,
        "data_integrity_validated": True,
        "rollback_procedures_validated": None,
        "system_stability_score": 0.9874,
        "error_rate_percent": 1.26,
        "uptime_percent": None,
        "critical_issues": ["rag_chat: a scenario failed"],
        "production_readiness_score": 0.6667,
        "production_ready": False,
        "readiness_criteria": [
            {"criterion": "use_cases", "met": False, "measured": "21 of 22", "required": "all 22"},
            {
                "criterion": "migration",
                "met": None,
                "measured": "did not run",
                "required": "migration suite passes",
            },
        ],
        "run_scope": "full",
        "notes": {"security": f"finding stored {PAYLOAD}", "uptime": "no uptime in a test run"},
    }
    data.update(changes_)
    return FFSystemIntegrationReportDTO.model_validate(data)


class _Page(HTMLParser):
    """Every start tag with its attributes, and the page's text as a browser would show it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _squash(text: str) -> str:
    """Text without whitespace: table cells wrap long values at any space."""
    return re.sub(r"\s+", "", text)


def test_html_shows_the_figures() -> None:
    text = " ".join(" ".join(_parse(render_html(_report())).text).split())
    for figure in (
        "Production readiness score 66.7%: NOT production ready",
        "Executed 1107",
        "Passed 1093",
        "Failed 14",
        "Skipped 3",
        "21 of 22",
        "Average response time 45.557 ms",
        "load run 2026-12-05 basic_chat [quick]",
        "HIGH stored xss",
        "Vulnerabilities found 1",
        "Rollback procedures not run",
        "RAG FAILED",
        "Prompt Sandbox PASS 1.00",
        "rag_chat: a scenario failed",
    ):
        assert figure in text, figure
    use_case_rows = [t for t, attrs in _parse(render_html(_report())).tags if t == "tr"]
    assert len(use_case_rows) >= 22 + 1


def test_html_keeps_the_payload_inert_text() -> None:
    page = render_html(_report(), charts=draw_charts(_report()))
    parsed = _parse(page)
    assert "<script" not in page.lower()
    assert not re.search(r"<[^>]*\bonerror\s*=", page, re.IGNORECASE)
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "iframe", "object", "embed", "a"}, tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "img":
            assert (attrs["src"] or "").startswith("data:image/png;base64,")
    shown = "".join(parsed.text)
    assert shown.count(PAYLOAD) == 3  # use case name, finding message, security note: as text


def test_html_has_a_no_script_content_security_policy() -> None:
    page = render_html(_report())
    csp = [
        a
        for t, a in _parse(page).tags
        if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert len(csp) == 1
    policy = csp[0]["content"] or ""
    for rule in ("default-src 'none'", "script-src 'none'", "img-src data:"):
        assert rule in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert page.index("Content-Security-Policy") < page.index("<style>")
    style = page[page.index("<style>") + 7 : page.index("</style>")]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy  # our stylesheet, and only it, applies
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)


def test_html_not_judged_says_why() -> None:
    partial = _report(
        production_readiness_score=None,
        production_ready=None,
        run_scope="partial",
        notes={"scope": "partial run (--family security)"},
    )
    text = " ".join(_parse(render_html(partial)).text)
    assert "Production readiness not judged: partial run (--family security)" in text


def test_html_lists_changes_since_the_last_run() -> None:
    before = _report(
        use_case_results=[_use_case(uid) for uid in NAMES], production_readiness_score=1.0
    )
    assert "Changes since the last run" not in render_html(_report())
    text = " ".join(_parse(render_html(_report(), previous=before)).text)
    assert "Changes since the last run" in text
    assert "Use case stopped passing: rag_chat" in text


def test_pdf_text_has_the_key_figures_and_the_payload_as_text() -> None:
    text = _pdf_text(render_pdf(_report()))
    flat = _squash(text)
    for figure in (
        "Productionreadinessscore66.7%",
        "Executed1107",
        "Passed1093",
        "Failed14",
        "PromptSandbox",
        "45.557ms",
        "HIGH",
        "storedxss",
    ):
        assert figure in flat, figure
    assert flat.count(_squash(PAYLOAD)) == 3  # use case name, finding message, security note


def test_pdf_has_two_charts() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(_report())))
    assert sum(len(page.images) for page in reader.pages) >= 2


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # CJK, emoji: boxes
def test_pdf_and_charts_survive_any_unicode() -> None:
    odd = "聊天 🚀 مرحبا $\\frac{x$ nul\x00 bell\x07 ü€"
    report = _report(
        use_case_results=[
            _use_case(f"{uid}$\\frac{{$", name=f"{uid} {odd}") for uid in NAMES
        ],  # malformed mathtext in a label
        readiness_criteria=[{"criterion": odd, "met": True, "measured": odd, "required": odd}],
        notes={"odd": odd},
    )
    assert all(png.startswith(b"\x89PNG") for png in draw_charts(report).values())
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF")
    assert "ü€" in _pdf_text(pdf)


def test_changes_names_the_use_case_that_stopped_passing_and_the_score() -> None:
    before = _report(
        use_case_results=[_use_case(uid) for uid in NAMES],
        production_readiness_score=1.0,
        tests_passed=1100,
        tests_failed=7,
        average_response_time_ms=40.0,
        security_findings=[],
    )
    lines = changes(before, _report())
    assert "Use case stopped passing: rag_chat (RAG chat " + PAYLOAD + ")" in lines
    assert "Production readiness score: 100.0% -> 66.7% (-33.3 points)" in lines
    assert "Tests passed: 1100 -> 1093 (-7)" in lines
    assert "Tests failed: 7 -> 14 (+7)" in lines
    assert "Average response time: 40 ms -> 45.557 ms (+13.9%)" in lines
    assert (
        "New security finding [high]: stored xss (scenarios/security/xss.yaml::stored xss)" in lines
    )
    back = changes(_report(), before)
    assert "Use case started passing: rag_chat (Rag Chat)" in back
    assert changes(before, _report()) == lines  # deterministic
    assert changes(_report(), _report()) == []


def test_write_formats_writes_only_the_asked_formats(tmp_path: Path) -> None:
    written = write_formats(_report(), tmp_path / "out", ["html", "json", "html"])
    assert [p.name for p in written] == [
        "system_integration_report.html",
        "system_integration_report.json",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in written
    )  # no PDF, no temp file left behind
    again = FFSystemIntegrationReportDTO.model_validate_json(written[1].read_text())
    assert again == _report()
    assert "<script" not in written[0].read_text().lower()


def test_write_formats_rejects_an_unknown_format_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'docx'.*json, html, pdf"):
        write_formats(_report(), tmp_path, ["json", "docx"])
    assert list(tmp_path.iterdir()) == []
