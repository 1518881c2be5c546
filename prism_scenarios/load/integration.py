"""The integration report's performance fields, taken from the last load run.

``prism-scenarios run`` measures performance from its functional run (engine step times)
unless a load run has left ``REPORT_DIR/load/load_summary.json``: then average response time,
peak memory and CPU, and throughput come from the load run, ``performance_source`` names it,
and ``load_tests_passed`` says whether every load test met its thresholds. Whichever of the
two commands runs last brings the report up to date.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SUMMARY = Path("load") / "load_summary.json"
REPORT = Path("integration") / "system_integration_report.json"


def read_summary(report_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((report_dir / SUMMARY).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("tests") else None


def performance_fields(load: dict[str, Any]) -> tuple[dict[str, Any], str]:
    tests = load["tests"]
    counted = [
        (t["metrics"]["iterations"]["avg_ms"], t["metrics"]["iterations"]["count"])
        for t in tests
        if t["metrics"].get("iterations", {}).get("count")
    ]
    total = sum(n for _, n in counted)
    elapsed = sum(t["elapsed_seconds"] for t in tests)
    cpu = [t["cpu_percent_one_core"] for t in tests if t.get("cpu_percent_one_core") is not None]
    rss = [t["peak_rss_mb"] for t in tests if t.get("peak_rss_mb") is not None]
    when = datetime.fromtimestamp(load["generated"], UTC).isoformat(timespec="seconds")
    names = ", ".join(f"{t['name']} [{t['profile'] or 'default'}]" for t in tests)
    fields = {
        "average_response_time_ms": round(sum(a * n for a, n in counted) / total, 3)
        if total
        else 0.0,
        "peak_memory_usage_mb": round(max(rss), 1) if rss else 0.0,
        "peak_cpu_usage_percent": round(max(cpu), 1) if cpu else None,
        "average_cpu_usage_percent": round(sum(cpu) / len(cpu), 1) if cpu else None,
        "throughput_rps": round(sum(t["started"] for t in tests) / elapsed, 1) if elapsed else 0.0,
        "performance_source": f"load run {when}: {names}",
        "load_tests_passed": all(t["passed"] for t in tests),
    }
    note = (
        f"performance fields come from the load run of {when} ({names}; "
        "reports/load/load_summary.json): average_response_time_ms = mean iteration "
        "latency from intended start, throughput_rps = iterations started per second, "
        "CPU 100 = one core busy (each test's mean over its run), peak memory = the "
        "highest test's summed worker peak RSS"
    )
    return fields, note


def apply(report: dict[str, Any], load: dict[str, Any]) -> dict[str, Any]:
    fields, note = performance_fields(load)
    report.update(fields)
    notes = report.setdefault("notes", {})
    notes["performance"] = note
    notes.pop("throughput", None)
    notes.pop("cpu", None)
    return report


def update_integration_report(report_dir: Path) -> Path | None:
    """Rewrite the performance fields of an existing integration report from the load
    summary; returns the report's path when it changed."""
    load = read_summary(report_dir)
    path = report_dir / REPORT
    if load is None or not path.is_file():
        return None
    try:
        report = json.loads(path.read_text())
    except ValueError:
        return None
    path.write_text(json.dumps(apply(report, load), indent=2))
    return path
