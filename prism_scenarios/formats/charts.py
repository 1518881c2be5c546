"""The report's two pictures as PNG bytes (matplotlib Figure + Agg, no pyplot global state, so
it is safe next to other threads drawing): the score of every use case, and the readiness
criteria. Labels come from the report, so mathtext is off on each one: a ``$`` in a name must
not be parsed (a malformed one would raise at draw time)."""

from __future__ import annotations

import io
from typing import Any

from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.formats.content import printable

PASS, FAIL, UNJUDGED = "#2e7d32", "#c62828", "#9e9e9e"


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def use_case_chart(report: FFSystemIntegrationReportDTO) -> bytes:
    """One bar per use case: its validation score, green when it passes, red when not."""
    from matplotlib.figure import Figure

    results = report.use_case_results
    figure = Figure(figsize=(8, max(2.0, 0.28 * len(results) + 1)))
    axis = figure.add_subplot()
    rows = list(range(len(results)))[::-1]  # first use case on top
    axis.barh(
        rows,
        [u.validation_score for u in results],
        color=[PASS if u.validation_successful else FAIL for u in results],
    )
    axis.set_yticks(rows, [printable(u.use_case_id) for u in results], fontsize=8, parse_math=False)
    axis.set_xlim(0, 1)
    axis.set_xlabel("validation score (green: passes, red: fails)")
    axis.set_title(f"Use cases: {report.use_cases_passing} of {report.use_cases_validated} pass")
    return _png(figure)


def readiness_chart(report: FFSystemIntegrationReportDTO) -> bytes:
    """The readiness criteria, met or not; a report without criteria gets its headline
    scores instead, so the picture is never missing."""
    from matplotlib.figure import Figure

    criteria = list(getattr(report, "readiness_criteria", []))
    if criteria:
        labels = [printable(c.criterion) for c in criteria]
        values = [1.0] * len(criteria)
        colors = [UNJUDGED if c.met is None else PASS if c.met else FAIL for c in criteria]
        words = ["not judged" if c.met is None else "met" if c.met else "not met" for c in criteria]
        title, xlabel = "Readiness criteria", "green: met, red: not met, grey: not judged"
    else:
        pairs = [
            ("tests passing", report.overall_success_rate / 100),
            ("use cases passing", report.use_case_success_rate / 100),
            ("stability", report.system_stability_score),
            ("security", report.security_score),
            ("readiness", report.production_readiness_score),
        ]
        labels = [p[0] for p in pairs]
        values = [p[1] or 0.0 for p in pairs]
        colors = [UNJUDGED if p[1] is None else PASS if p[1] >= 1 else FAIL for p in pairs]
        words = ["not measured" if p[1] is None else f"{100 * p[1]:.1f}%" for p in pairs]
        title, xlabel = "Readiness figures", "share (grey: not measured)"
    figure = Figure(figsize=(8, 0.4 * len(labels) + 1.2))
    axis = figure.add_subplot()
    rows = list(range(len(labels)))[::-1]
    axis.barh(rows, values, color=colors)
    axis.set_yticks(rows, labels, fontsize=9, parse_math=False)
    for row, value, word in zip(rows, values, words):
        axis.text(min(value, 1.0) + 0.01, row, word, va="center", fontsize=8, parse_math=False)
    axis.set_xlim(0, 1.25)
    axis.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    axis.set_xlabel(xlabel)
    axis.set_title(title)
    return _png(figure)


def draw_charts(report: FFSystemIntegrationReportDTO) -> dict[str, bytes]:
    """Both pictures, keyed by a caption (the HTML and PDF show the key under each)."""
    return {"Use case scores": use_case_chart(report), "Readiness": readiness_chart(report)}
