"""Writes the asked report formats next to each other, each atomically (a temp file in the
same directory, then os.replace), so a reader never sees half a report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from prism_scenarios.dto import FFSystemIntegrationReportDTO

FORMATS = ("json", "html", "pdf")
STEM = "system_integration_report"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the report from other readers
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_formats(
    report: FFSystemIntegrationReportDTO,
    out_dir: Path,
    formats: list[str],
    *,
    previous: FFSystemIntegrationReportDTO | None = None,
) -> list[Path]:
    """Writes ``system_integration_report.<format>`` for each asked format (in the asked
    order, duplicates once) and returns the paths. Checks every name before writing any."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(
            f"unknown report format(s) {', '.join(map(repr, unknown))}: "
            f"allowed are {', '.join(FORMATS)}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts: dict[str, bytes] | None = None

    def drawn() -> dict[str, bytes]:  # once, shared by the HTML and the PDF
        nonlocal charts
        if charts is None:
            from prism_scenarios.formats.charts import draw_charts

            charts = draw_charts(report)
        return charts

    renderers: dict[str, Callable[[], bytes]] = {
        "json": lambda: report.model_dump_json(indent=2).encode("utf-8"),
        "html": lambda: _html(report, previous, drawn()),
        "pdf": lambda: _pdf(report, previous, drawn()),
    }
    written = []
    for name in dict.fromkeys(formats):
        path = out_dir / f"{STEM}.{name}"
        _atomic_write(path, renderers[name]())
        written.append(path)
    return written


def _html(
    report: FFSystemIntegrationReportDTO,
    previous: FFSystemIntegrationReportDTO | None,
    charts: dict[str, bytes],
) -> bytes:
    from prism_scenarios.formats.html import render_html

    return render_html(report, previous=previous, charts=charts).encode("utf-8")


def _pdf(
    report: FFSystemIntegrationReportDTO,
    previous: FFSystemIntegrationReportDTO | None,
    charts: dict[str, bytes],
) -> bytes:
    from prism_scenarios.formats.pdf import render_pdf

    return render_pdf(report, previous=previous, charts=charts)
