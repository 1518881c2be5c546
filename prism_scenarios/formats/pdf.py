"""The report as a PDF (fpdf2, pure Python): the same content as the HTML page plus the
charts. Report text is drawn as plain text (fpdf2's markdown and HTML modes are never used),
in matplotlib's DejaVu Sans so any Unicode in a name cannot crash the Latin-1 core fonts."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.formats import content
from prism_scenarios.formats.changes import changes

FONT = "DejaVu"
TONES = {"ready": (232, 245, 233), "not-ready": (255, 235, 238), "unjudged": (240, 240, 240)}
_text = content.printable
HEADER = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))


def _font_files() -> tuple[Path, Path]:
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return ttf / "DejaVuSans.ttf", ttf / "DejaVuSans-Bold.ttf"


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        regular, bold = _font_files()
        self.add_font(FONT, "", str(regular))
        self.add_font(FONT, "B", str(bold))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 6, f"page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, _text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)

    def paragraph(self, text: str, *, size: int = 9, grey: bool = False) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(90 if grey else 0)
        self.multi_cell(0, 4.6, _text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)

    def grid(
        self, header: tuple[str, ...] | None, rows: list[tuple[str, ...]], widths: tuple[int, ...]
    ) -> None:
        self.set_font(FONT, "", 8.5)
        with self.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=4.6,
            headings_style=HEADER,
            first_row_as_headings=header is not None,
            markdown=False,
        ) as table:
            for row in ([header] if header else []) + rows:
                cells = table.row()
                for value in row:
                    cells.cell(_text(value))
        self.ln(1)


def render_pdf(
    report: FFSystemIntegrationReportDTO,
    *,
    previous: FFSystemIntegrationReportDTO | None = None,
    charts: dict[str, bytes] | None = None,
) -> bytes:
    """The report as PDF bytes; ``previous`` adds "Changes since the last run"; ``charts``
    (caption -> PNG) are drawn from the report when not given, so there are always some."""
    if charts is None:
        from prism_scenarios.formats.charts import draw_charts

        charts = draw_charts(report)
    pdf = _Page()
    pdf.set_title(_text(f"System integration report {report.report_id}"))
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, "System integration report", new_x="LMARGIN", new_y="NEXT")
    pdf.paragraph(
        f"{report.report_id} · generated {report.generation_timestamp} · {report.run_scope} run",
        size=8,
        grey=True,
    )
    _verdict(pdf, content.verdict(report))
    if previous is not None:
        pdf.heading("Changes since the last run")
        lines = changes(previous, report)
        for line in lines or ["Nothing changed since the last run."]:
            pdf.paragraph(f"• {line}")
    for section in content.sections(report):
        pdf.heading(section.title)
        pdf.grid(None, section.rows, (1, 2))
        if section.note:
            pdf.paragraph(section.note, size=7, grey=True)
    criteria = content.criteria_rows(report)
    if criteria:
        pdf.heading("Readiness criteria")
        pdf.grid(("Criterion", "Verdict", "Measured", "Required"), criteria, (3, 2, 4, 4))
    pdf.heading(f"Use cases ({report.use_cases_passing} of {report.use_cases_validated} pass)")
    pdf.grid(("Id", "Name", "Result", "Score"), content.use_case_rows(report), (4, 6, 2, 2))
    _findings(pdf, report)
    pdf.heading("Critical issues")
    for issue in report.critical_issues or ["None."]:
        pdf.paragraph(f"• {issue}")
    if report.recommended_fixes:
        pdf.heading("Recommended fixes")
        for fix in report.recommended_fixes:
            pdf.paragraph(f"• {fix}")
    for caption, png in charts.items():
        pdf.add_page()
        pdf.heading(caption)
        pdf.image(io.BytesIO(png), w=pdf.epw)
    notes = content.other_notes(report)
    if notes:
        pdf.heading("Notes")
        pdf.grid(None, notes, (1, 4))
    return bytes(pdf.output())


def _verdict(pdf: _Page, verdict: content.Verdict) -> None:
    pdf.ln(2)
    pdf.set_fill_color(*TONES[verdict.tone])
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(
        0, 7, _text(verdict.headline), fill=True, new_x="LMARGIN", new_y="NEXT", padding=2
    )
    for line in verdict.detail:
        pdf.paragraph(line)


def _findings(pdf: _Page, report: FFSystemIntegrationReportDTO) -> None:
    pdf.heading("Security findings")
    rows = content.finding_rows(report)
    if rows:
        pdf.grid(("Severity", "Test", "Message"), rows, (2, 5, 7))
    else:
        pdf.paragraph(
            "No security test ran." if report.security_findings is None else "No findings."
        )
