"""A report object with no readiness_criteria attribute at all (e.g. one made before the field
existed) still gets a readiness chart: its headline figures."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios.formats import charts


def test_a_report_without_the_criteria_field_charts_its_headline_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured: list[Any] = []

    def png(figure: Any) -> bytes:
        captured.append(figure)
        return b"png"

    monkeypatch.setattr(charts, "_png", png)
    report = SimpleNamespace(
        overall_success_rate=100.0,
        use_case_success_rate=50.0,
        system_stability_score=None,
        security_score=1.0,
        production_readiness_score=None,
    )
    assert charts.readiness_chart(report) == b"png"  # type: ignore[arg-type]
    ((axis,),) = [figure.axes for figure in captured]
    assert axis.get_title() == "Readiness figures"
    assert [t.get_text() for t in axis.texts] == [
        "100.0%",
        "50.0%",
        "not measured",
        "100.0%",
        "not measured",
    ]
