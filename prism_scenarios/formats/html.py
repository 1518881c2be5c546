"""The one-page HTML summary. Report text is untrusted (the security suite stores script
payloads in test names), so: jinja2 autoescape on, and a Content-Security-Policy that allows
no script at all, images only as data: URIs and only our own stylesheet (by hash). The page
loads nothing from anywhere, so it can be mailed or archived as one file."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.formats import content
from prism_scenarios.formats.changes import changes

TEMPLATES = "data/templates"
PNG = b"\x89PNG\r\n\x1a\n"


GOOD = {"passed", "validated", "met", "PASS"}
BAD = {"FAILED", "NOT MET", "FAIL", "CRITICAL", "HIGH"}


def tone(value: str) -> str:
    """The CSS class of a verdict word; report text never becomes a class name."""
    return "good" if value in GOOD else "bad" if value in BAD else ""


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("prism_scenarios", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["tone"] = tone
    return environment


@cache
def _css() -> str:
    return (resources.files("prism_scenarios") / TEMPLATES / "report.css").read_text("utf-8")


def content_security_policy(css: str) -> str:
    """No scripts, no fetches, no forms; our stylesheet by its hash, images from data: only."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        f"form-action 'none'; img-src data:; style-src 'sha256-{digest}'"
    )


def _data_uri(png: bytes) -> str:
    if not png.startswith(PNG):
        raise ValueError("charts must be PNG images")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(
    report: FFSystemIntegrationReportDTO,
    *,
    previous: FFSystemIntegrationReportDTO | None = None,
    charts: dict[str, bytes] | None = None,
) -> str:
    """The report as one self-contained HTML page; ``previous`` adds "Changes since the last
    run"; ``charts`` (caption -> PNG bytes, see charts.draw_charts) are embedded as data:
    URIs, none when not given."""
    css = _css()
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            css=Markup(css),
            csp=content_security_policy(css),
            verdict=content.verdict(report),
            sections=content.sections(report),
            criteria=content.criteria_rows(report),
            use_cases=content.use_case_rows(report),
            findings=content.finding_rows(report),
            notes=content.other_notes(report),
            change_lines=None if previous is None else changes(previous, report),
            images=[(caption, _data_uri(png)) for caption, png in (charts or {}).items()],
        )
    )
