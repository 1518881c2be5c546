"""Exact figures and messages of the load engine's parts, called in-process with tiny inputs:
threshold parsing and verdicts, schedules, metrics, merged results and their summary, the
live line, the integration report's performance fields, load-file errors and the ``load``
command's refusal of an invalid file."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios.load import THRESHOLD_EXIT, integration, report
from prism_scenarios.load import command as load_command
from prism_scenarios.load import data as load_data
from prism_scenarios.load import thresholds as thr
from prism_scenarios.load.live import Live
from prism_scenarios.load.metrics import HIGHEST_US, Metric, Metrics
from prism_scenarios.load.results import LoadResult, measure_live, merge, summary
from prism_scenarios.load.schedule import Stage, arrivals, segment, weighted_sequence
from prism_scenarios.load.spec import (
    ClosedModel,
    DataSpec,
    LoadFileError,
    OpenModel,
    Plan,
    load_plan,
    seconds,
)

# --- thresholds ------------------------------------------------------------------------------


def test_parse_keeps_every_part() -> None:
    t = thr.parse("iterations", "  p( 99.5 ) <= 20 ms ", abort_on_fail=True, delay_abort_eval=2.0)
    assert t == thr.Threshold(
        metric="iterations",
        expression="p( 99.5 ) <= 20 ms",
        aggregation="p",
        percentile=99.5,
        op="<=",
        value=20.0,
        abort_on_fail=True,
        delay_abort_eval=2.0,
    )
    assert thr.parse("run", "errors==-1").value == -1.0
    assert thr.parse("scenario:x", "avg!=3").op == "!="
    assert thr.parse("action:y", "count>2").percentile is None
    assert thr.parse("iterations", "p(100)<1").percentile == 100.0


@pytest.mark.parametrize(
    ("op", "measured", "value", "passes"),
    [
        ("<", 1.0, 2.0, True),
        ("<", 2.0, 2.0, False),
        ("<=", 2.0, 2.0, True),
        ("<=", 2.5, 2.0, False),
        (">", 3.0, 2.0, True),
        (">", 2.0, 2.0, False),
        (">=", 2.0, 2.0, True),
        (">=", 1.5, 2.0, False),
        ("==", 2.0, 2.0, True),
        ("==", 2.5, 2.0, False),
        ("!=", 2.5, 2.0, True),
        ("!=", 2.0, 2.0, False),
    ],
)
def test_each_operator(op: str, measured: float, value: float, passes: bool) -> None:
    assert thr.parse("iterations", f"avg{op}{value}").passes(measured) is passes


def test_no_data_never_passes() -> None:
    assert thr.parse("iterations", "count>=0").passes(None) is False


@pytest.mark.parametrize(
    ("metric", "text", "message"),
    [
        (
            "iterations",
            "fast",
            "threshold 'fast' is not '<aggregation> <op> <number>' (e.g. 'p(95)<50', "
            "'avg<=20', 'rate>=0.99'; operators < <= > >= == !=)",
        ),
        (
            "run",
            "p(95)<1",
            "threshold 'p(95)<1': percentiles belong to a latency metric (iterations, "
            "scenario:..., action:...), not to run",
        ),
        ("iterations", "p(0)<1", "threshold 'p(0)<1': the percentile must be in (0, 100]"),
        ("iterations", "p(100.5)<1", "threshold 'p(100.5)<1': the percentile must be in (0, 100]"),
        (
            "iterations",
            "p95<1",
            "threshold 'p95<1': unknown aggregation 'p95' for metric 'iterations' (allowed: "
            "p(N), avg, min, max, med, count, rate); write p(95)",
        ),
        (
            "run",
            "avg<1",
            "threshold 'avg<1': unknown aggregation 'avg' for metric 'run' (allowed: "
            "peak_rss_mb, cpu_percent, dropped, late, achieved_rate, errors)",
        ),
        ("run", "errors<1ms", "threshold 'errors<1ms': 'ms' only follows a latency aggregation"),
        ("iterations", "rate<1ms", "threshold 'rate<1ms': 'ms' only follows a latency aggregation"),
        (
            "iterations",
            "count<1ms",
            "threshold 'count<1ms': 'ms' only follows a latency aggregation",
        ),
    ],
)
def test_syntax_errors_say_what_is_allowed(metric: str, text: str, message: str) -> None:
    with pytest.raises(thr.ThresholdSyntaxError) as raised:
        thr.parse(metric, text)
    assert str(raised.value) == message


def test_ms_after_a_latency_aggregation_is_fine() -> None:
    assert thr.parse("iterations", "max<1ms").value == 1.0


def test_performance_config_thresholds_and_labels() -> None:
    config = SimpleNamespace(
        max_response_time_ms=250.0,
        min_success_rate_percent=99.5,
        max_memory_usage_mb=512.0,
        max_cpu_usage_percent=80.5,
    )
    made = thr.from_performance_config(config)
    assert [t.label for t in made] == [
        "iterations: max<=250 (performance_config)",
        "iterations: rate>=0.995 (performance_config)",
        "run: peak_rss_mb<=512 (performance_config)",
        "run: cpu_percent<=80.5 (performance_config)",
    ]
    assert [t.abort_on_fail for t in made] == [False] * 4
    assert thr.parse("run", "late<3").label == "run: late<3"


def test_performance_config_limits_of_any_size_parse() -> None:
    """Regression: the limits were written with ``:g``, so a million became '1e+06' (refused
    by the grammar: the performance family crashed) and 1234567 became 1.23457e+06."""
    config = SimpleNamespace(
        max_response_time_ms=1234567.0,
        min_success_rate_percent=99.9,
        max_memory_usage_mb=1e6,
        max_cpu_usage_percent=0.00001,
    )
    made = thr.from_performance_config(config)
    assert [t.expression for t in made] == [
        "max<=1234567",
        "rate>=0.999",
        "peak_rss_mb<=1000000",
        "cpu_percent<=0.00001",
    ]
    assert [t.value for t in made] == [1234567.0, 0.999, 1e6, 0.00001]
    assert made[1].passes(999 / 1000)  # 99.9 percent of 1000 iterations


def test_verdict_descriptions() -> None:
    t = thr.parse("iterations", "avg<2")
    assert thr.Verdict(t, 1.23456789).describe() == "iterations: avg<2 → measured 1.23457: ok"
    assert thr.Verdict(t, 3.0).describe() == ("iterations: avg<2 → measured 3: threshold breached")
    assert thr.Verdict(t, None).describe() == (
        "iterations: avg<2 → measured no data: threshold breached"
    )
    assert [v.passed for v in thr.judge([t, t], lambda _: 1.0)] == [True, True]
    assert [v.measured for v in thr.judge([t], lambda th: th.value * 2)] == [4.0]


# --- schedule --------------------------------------------------------------------------------


def test_a_ramp_from_zero_follows_the_square_root() -> None:
    # rate(t) = t over 2 s: arrival k is due when t^2/2 = k
    assert list(arrivals(0, [Stage(2, 2)])) == pytest.approx([0.0, math.sqrt(2)])


def test_constant_and_falling_rates() -> None:
    assert list(arrivals(2, [Stage(1, 2)])) == [0.0, 0.5]
    assert list(arrivals(4, [Stage(0.5, 4), Stage(0.5, 2)])) == pytest.approx(
        # 4 -> 2 over the second 0.5 s: 4t - 2t^2 = 1 at t = (2 - sqrt 2) / 2
        [0, 0.25, 0.5, 0.5 + (2 - math.sqrt(2)) / 2]
    )
    # 2 -> 0 over 1 s: one arrival (the area is 1), at the start
    assert list(arrivals(2, [Stage(1, 0)])) == [0.0]
    # a zero-length stage jumps the rate and adds nothing
    assert list(arrivals(1, [Stage(0, 4), Stage(0.5, 4)])) == [0.0, 0.25]


def test_segments_stripe_the_arrivals() -> None:
    offsets = [0.0, 0.1, 0.2, 0.3, 0.4]
    assert list(segment(iter(offsets), 1, 2)) == [(1, 0.1), (3, 0.3)]
    assert list(segment(iter(offsets), 0, 3)) == [(0, 0.0), (3, 0.3)]


def test_weighted_sequence_is_smooth_and_reduced() -> None:
    assert weighted_sequence([2, 1]) == [0, 1, 0]
    assert weighted_sequence([4, 2]) == [0, 1, 0]
    assert weighted_sequence([0.5, 0.25, 0.25]) == [0, 1, 2, 0]
    assert weighted_sequence([1]) == [0]
    with pytest.raises(ValueError, match="^mix weights too finely divided"):
        weighted_sequence([1, 100_000])


# --- metrics ---------------------------------------------------------------------------------


def _metric(*values: tuple[float, bool]) -> Metric:
    metric = Metric()
    for value, ok in values:
        metric.record(value, ok)
    return metric


def test_metric_summary_exact() -> None:
    metric = _metric((0.001, True), (0.002, False), (0.0015, True))
    assert metric.summary() == {
        "count": 3,
        "passed": 2,
        "failed": 1,
        "rate": 2 / 3,
        "avg_ms": 1.5,
        "min_ms": 1.0,
        "med_ms": 1.5,
        "p90_ms": 2.0,
        "p95_ms": 2.0,
        "p99_ms": 2.0,
        "p99_9_ms": 2.0,
        "max_ms": 2.0,
    }
    assert metric.aggregate("p", 10) == 1.0
    assert metric.aggregate("p", None) == 1.0
    assert metric.aggregate("count") == 3.0
    with pytest.raises(KeyError):
        metric.aggregate("mode")


def test_empty_metric_has_a_count_and_nothing_else() -> None:
    empty = Metric()
    assert empty.aggregate("count") == 0.0
    assert [empty.aggregate(a) for a in ("rate", "avg", "min", "max", "med")] == [None] * 5
    assert empty.aggregate("p", 95) is None and empty.percentile_ms(50) is None


def test_values_are_clamped_to_the_histogram_range() -> None:
    metric = _metric((0.0, True), (10**7, True))
    assert metric.aggregate("min") == 0.001
    assert HIGHEST_US / 1000 <= metric.aggregate("max") < HIGHEST_US / 1000 * 1.001


def test_metrics_add_merges_by_name_and_second() -> None:
    a, b = Metrics(), Metrics()
    a.record_iteration("s", 0, 0.001, True)
    b.record_iteration("s", 0, 0.002, False)
    b.record_iteration("t", 3, 0.001, True)
    a.add(b)
    assert sorted(a.by_name) == ["iterations", "scenario:s", "scenario:t"]
    assert a.metric("iterations").summary()["count"] == 3
    assert (a.metric("scenario:s").passed, a.metric("scenario:s").failed) == (1, 1)
    assert {k: (m.passed, m.failed) for k, m in a.by_second.items()} == {0: (1, 1), 3: (1, 0)}
    copy = Metrics.decode(json.loads(json.dumps(a.encode())))
    assert copy.metric("iterations").summary() == a.metric("iterations").summary()
    assert sorted(copy.by_second) == [0, 3]


# --- results ---------------------------------------------------------------------------------


def _plan(model: Any = None, thresholds: list[thr.Threshold] | None = None) -> Plan:
    return Plan(
        name="tiny",
        source="load/tiny.yaml",
        profile=None,
        specs=[],
        weights=[1.0],
        model=model or OpenModel(rate=4, duration=2),
        data=DataSpec(volume="none"),
        thresholds=thresholds or [],
        workers=1,
        selected_by=["s.yaml: s"],
    )


def _segment(index: int, host: str, **fields: Any) -> dict[str, Any]:
    metrics = Metrics()
    for second, value, ok in fields.pop("iterations", []):
        metrics.record_iteration("s", second, value, ok)
    seg = {
        "index": index,
        "count": 2,
        "host": host,
        "pid": 100 + index,
        "planned": 4,
        "started": 4,
        "dropped": 0,
        "late": 0,
        "elapsed": 2.0,
        "cores": 2,
        "cpu_percent_one_core": None,
        "peak_rss_mb": None,
        "aborted": False,
        "errors": {},
        "samples": [],
        "template_changed_by": [],
        "metrics": metrics.encode(),
    }
    seg.update(fields)
    return seg


def test_merge_sums_counters_and_normalises_cpu_per_host() -> None:
    plan = _plan(
        thresholds=[
            thr.parse("iterations", "p(50)<=1"),
            thr.parse("run", "dropped<1"),
            thr.parse("run", "errors<=3"),
            thr.parse("action:none", "avg<1"),
        ]
    )
    segments = [
        _segment(
            0,
            "h1",
            iterations=[(0, 0.001, True), (1, 0.002, False)],
            dropped=1,
            late=2,
            elapsed=2.5,
            cpu_percent_one_core=60.0,
            peak_rss_mb=100.0,
            errors={"E": 1},
            samples=[{"n": str(i)} for i in range(15)],
            template_changed_by=["b", "a"],
        ),
        _segment(
            1,
            "h1",
            iterations=[(0, 0.001, True)],
            started=3,
            planned=3,
            cpu_percent_one_core=40.0,
            peak_rss_mb=50.0,
            errors={"E": 2, "F": 1},
            samples=[{"n": str(i)} for i in range(15, 30)],
            template_changed_by=["a"],
        ),
        _segment(2, "h2", cores=4, started=1, planned=1),
    ]
    result = merge(plan, segments, "processes", None)
    assert (result.planned, result.started, result.dropped, result.late) == (8, 8, 1, 2)
    assert result.elapsed == 2.5
    assert result.errors == {"E": 3, "F": 1}
    assert [s["n"] for s in result.samples] == [str(i) for i in range(20)]
    assert result.cpu_percent == pytest.approx(100.0 / 6)  # h1: 2 cores, h2: 4 cores
    assert result.cpu_percent_one_core == 100.0
    assert result.peak_rss_mb == 150.0
    assert result.template_changed_by == ["a", "b"]
    assert result.achieved_rate == 8 / 2.5
    assert result.target_rate == 4.0
    assert result.aborted is None
    assert [(v.measured, v.passed) for v in result.verdicts] == [
        (1.0, True),
        (1.0, False),
        (4.0, False),
        (None, False),
    ]
    assert [v.threshold.expression for v in result.breached] == ["dropped<1", "errors<=3", "avg<1"]
    assert result.passed is False
    assert result.run_value("late") == 2.0 and result.run_value("peak_rss_mb") == 150.0
    assert result.run_value("cpu_percent") == result.cpu_percent
    assert result.run_value("achieved_rate") == 3.2


def test_merge_of_a_quiet_run() -> None:
    result = merge(_plan(), [_segment(0, "h", elapsed=0.0, aborted=True)], "inline", None)
    assert result.cpu_percent is None and result.cpu_percent_one_core is None
    assert result.peak_rss_mb is None
    assert result.achieved_rate == 0.0
    assert result.aborted == "a worker stopped on request"
    assert result.passed is False
    given = merge(_plan(), [_segment(0, "h", aborted=True)], "inline", "abort_on_fail: x")
    assert given.aborted == "abort_on_fail: x"
    clean = merge(_plan(), [_segment(0, "h")], "inline", None)
    assert clean.passed is True and clean.breached == []


def test_target_rate_of_each_model() -> None:
    stages = OpenModel(
        start_rate=0, stages=[{"duration": 1, "target": 2}, {"duration": 3, "target": 6}]
    )
    assert merge(_plan(stages), [_segment(0, "h")], "inline", None).target_rate == 5.0
    closed = ClosedModel(type="closed", users=2, duration=1)
    assert merge(_plan(closed), [_segment(0, "h")], "inline", None).target_rate is None
    empty = OpenModel(rate=1, duration=0)
    assert merge(_plan(empty), [_segment(0, "h")], "inline", None).target_rate is None


def test_summary_of_a_result() -> None:
    plan = _plan(thresholds=[thr.parse("iterations", "max<5", abort_on_fail=True)])
    seg = _segment(0, "h", iterations=[(0, 0.001, True)], cpu_percent_one_core=10.0)
    data = summary(merge(plan, [seg], "inline", None))
    assert data["segments"] == [
        {
            "index": 0,
            "count": 2,
            "host": "h",
            "pid": 100,
            "planned": 4,
            "started": 4,
            "dropped": 0,
            "late": 0,
            "elapsed": 2.0,
            "cpu_percent_one_core": 10.0,
            "peak_rss_mb": None,
        }
    ]
    assert data["thresholds"] == [
        {
            "metric": "iterations",
            "threshold": "max<5",
            "measured": 1.0,
            "passed": True,
            "abort_on_fail": True,
        }
    ]
    expected = {
        "name": "tiny",
        "source": "load/tiny.yaml",
        "profile": None,
        "workers": 1,
        "executor": "inline",
        "scenarios": ["s.yaml: s"],
        "passed": True,
        "aborted": None,
        "elapsed_seconds": 2.0,
        "planned": 4,
        "started": 4,
        "dropped": 0,
        "late": 0,
        "target_rate": 4.0,
        "achieved_rate": 2.0,
        "cpu_percent": 5.0,
        "cpu_percent_one_core": 10.0,
        "peak_rss_mb": None,
        "errors": {},
        "error_samples": [],
        "template_changed_by": [],
        "data": {"volume": "none", "seed": 1},
        "latency_model": "open: latency from each arrival's intended start",
    }
    assert {k: data[k] for k in expected} == expected
    assert data["model"]["rate"] == 4.0 and data["model"]["type"] == "open"
    assert list(data["metrics"]) == ["iterations", "scenario:s"]
    assert data["metrics"]["iterations"]["count"] == 1
    closed = _plan(ClosedModel(type="closed", users=1, duration=1))
    assert summary(merge(closed, [_segment(0, "h")], "inline", None))["latency_model"] == (
        "closed: latency from each iteration's actual start (optimistic tails)"
    )


def test_measure_live() -> None:
    live = SimpleNamespace(
        total=lambda key: {"dropped": 2, "late": 3, "errors": 4}[key], metrics=Metrics()
    )
    live.metrics.record_iteration("s", 0, 0.002, True)
    assert measure_live(thr.parse("run", "dropped<1"), live) == 2.0
    assert measure_live(thr.parse("run", "late<1"), live) == 3.0
    assert measure_live(thr.parse("run", "errors<1"), live) == 4.0
    assert measure_live(thr.parse("run", "peak_rss_mb<1"), live) is None
    assert measure_live(thr.parse("iterations", "max<1"), live) == 2.0
    assert measure_live(thr.parse("scenario:other", "max<1"), live) is None


# --- the live line and the abort judge -------------------------------------------------------


def _snapshot(index: int, elapsed: float, value: float, **counters: int) -> dict[str, Any]:
    delta = Metrics()
    delta.record_iteration("s", 0, value, True)
    return {"index": index, "delta": delta.encode(), "counters": counters, "elapsed": elapsed}


def test_live_line_and_log_stream() -> None:
    stream = io.StringIO()
    live = Live(_plan(), stream=stream)
    assert live.tty is False and live.every == 1.0
    assert live.line() == (
        "load tiny:   0.0s      0.0 it/s  p95 -  errors 0  dropped 0  late 0  left  2.0s"
    )
    live.add(_snapshot(0, 0.5, 0.002, started=2, errors=1))
    live.add(_snapshot(1, 1.0, 0.001, started=3, dropped=4, late=5))
    assert live.total("started") == 5
    assert live.line() == (
        "load tiny:   1.0s      5.0 it/s  p95 2.0 ms  errors 1  dropped 4  late 5  left  1.0s"
    )
    live.show()
    live.show()  # within `every`: nothing more
    live.show(force=True)
    live.done()
    assert stream.getvalue() == (live.line() + "\n") * 2
    assert live.abort_reason is None


def test_live_every_follows_the_duration() -> None:
    assert Live(_plan(OpenModel(rate=1, duration=30)), stream=io.StringIO()).every == 6.0
    assert Live(_plan(OpenModel(rate=1, duration=300)), stream=io.StringIO()).every == 10.0
    assert Live(_plan(), stream=io.StringIO(), every=0.1).every == 0.1


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_on_a_terminal_redraws_one_line() -> None:
    stream = _Tty()
    live = Live(_plan(), stream=stream)
    assert live.tty is True and live.every == 0.5
    live.show(force=True)
    live.done()
    assert stream.getvalue() == "\r\x1b[2K" + live.line() + "\n"


def test_abort_on_fail_waits_for_its_delay_then_stops() -> None:
    slow = thr.parse("iterations", "max<1", abort_on_fail=True, delay_abort_eval=1.0)
    kept = thr.parse("iterations", "max<0.5")  # not abort_on_fail: never stops the run
    live = Live(_plan(thresholds=[kept, slow]), stream=io.StringIO())
    live.add(_snapshot(0, 0.5, 0.002))
    assert live.abort_reason is None
    live.add(_snapshot(0, 1.0, 0.002))
    assert live.abort_reason == (
        "abort_on_fail: iterations: max<1 → measured 2: threshold breached"
    )
    quiet = Live(
        _plan(thresholds=[thr.parse("run", "peak_rss_mb<1", abort_on_fail=True)]),
        stream=io.StringIO(),
    )
    quiet.add(_snapshot(0, 5.0, 0.002))
    assert quiet.abort_reason is None  # no live figure: not judged


# --- integration report ----------------------------------------------------------------------


def _load_test(name: str, **fields: Any) -> dict[str, Any]:
    test = {
        "name": name,
        "profile": None,
        "passed": True,
        "elapsed_seconds": 2.0,
        "started": 10,
        "cpu_percent_one_core": None,
        "peak_rss_mb": None,
        "metrics": {"iterations": {"avg_ms": 1.0, "count": 10}},
    }
    test.update(fields)
    return test


def test_performance_fields_weigh_by_iterations() -> None:
    load = {
        "generated": 0,
        "tests": [
            _load_test("a", cpu_percent_one_core=50.0, peak_rss_mb=100.04),
            _load_test(
                "b",
                profile="quick",
                passed=False,
                started=20,
                cpu_percent_one_core=25.0,
                peak_rss_mb=80.0,
                metrics={"iterations": {"avg_ms": 4.0, "count": 30}},
            ),
            _load_test("c", started=0, metrics={}),
        ],
    }
    fields, note = integration.performance_fields(load)
    names = "a [default], b [quick], c [default]"
    assert fields == {
        "average_response_time_ms": 3.25,
        "peak_memory_usage_mb": 100.0,
        "peak_cpu_usage_percent": 50.0,
        "average_cpu_usage_percent": 37.5,
        "throughput_rps": 5.0,
        "performance_source": f"load run 1970-01-01T00:00:00+00:00: {names}",
        "load_tests_passed": False,
    }
    assert note.startswith(
        f"performance fields come from the load run of 1970-01-01T00:00:00+00:00 ({names}; "
    )


def test_performance_fields_of_a_run_that_measured_nothing() -> None:
    load = {"generated": 0, "tests": [_load_test("a", elapsed_seconds=0, metrics={})]}
    fields, _ = integration.performance_fields(load)
    assert fields["average_response_time_ms"] == 0.0
    assert fields["throughput_rps"] == 0.0
    assert fields["peak_memory_usage_mb"] == 0.0
    assert fields["peak_cpu_usage_percent"] is None
    assert fields["average_cpu_usage_percent"] is None
    assert fields["load_tests_passed"] is True


def test_update_integration_report_rewrites_only_an_existing_report(tmp_path: Path) -> None:
    assert integration.update_integration_report(tmp_path) is None
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "load_summary.json").write_text(
        json.dumps({"generated": 0, "tests": [_load_test("a")]})
    )
    assert integration.update_integration_report(tmp_path) is None  # no report yet
    target = tmp_path / "integration" / "system_integration_report.json"
    target.parent.mkdir()
    target.write_text("{not json")
    assert integration.update_integration_report(tmp_path) is None
    assert target.read_text() == "{not json"
    target.write_text(json.dumps({"notes": {"throughput": "t", "cpu": "c", "keep": "k"}}))
    assert integration.update_integration_report(tmp_path) == target
    written = json.loads(target.read_text())
    assert written["throughput_rps"] == 5.0 and written["load_tests_passed"] is True
    assert sorted(written["notes"]) == ["keep", "performance"]


def test_read_summary_needs_tests(tmp_path: Path) -> None:
    (tmp_path / "load").mkdir()
    path = tmp_path / "load" / "load_summary.json"
    for text in ("[1]", '{"tests": []}', "nope"):
        path.write_text(text)
        assert integration.read_summary(tmp_path) is None
    path.write_text('{"tests": [1]}')
    assert integration.read_summary(tmp_path) == {"tests": [1]}


# --- reports of a result ---------------------------------------------------------------------


def _result(**fields: Any) -> LoadResult:
    plan = _plan(thresholds=[thr.parse("iterations", "max<1"), thr.parse("run", "late<1")])
    seg = _segment(0, "h", iterations=[(0, 0.002, True)], **fields)
    return merge(plan, [seg], "inline", None)


def test_failure_message_lists_breaches_abort_and_changed_data() -> None:
    ok = merge(_plan(), [_segment(0, "h")], "inline", None)
    assert report.failure_message(ok) is None
    bad = _result(late=2, aborted=True, template_changed_by=["u1", "u2"])
    assert report.failure_message(bad) == (
        "ThresholdBreach: threshold breached in load test 'tiny':\n"
        "  iterations: max<1 → measured 2: threshold breached\n"
        "  run: late<1 → measured 2: threshold breached\n"
        "  the run was aborted (a worker stopped on request)\n"
        "  the shared test data was changed by: u1, u2"
    )


def test_write_json_names_the_file_after_the_plan(tmp_path: Path) -> None:
    result = _result()
    path = report.write_json(result, tmp_path / "new" / "out")
    assert path == tmp_path / "new" / "out" / "tiny.load_report.json"
    assert path.read_text() == json.dumps(summary(result), indent=2)


def test_print_result_lines(capsys) -> None:
    result = _result(
        late=2,
        samples=[{"scenario": "s", "message": "m" * 500}] * 4,
        aborted=True,
        template_changed_by=["u"],
    )
    load_command._print_result(result)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "load tiny [default, inline]: 4 iterations in 2.0s = 2.0/s (target 4.0); "
        "dropped 0, late 2, failed 0"
    )
    assert (
        lines[1] == "  latency from intended start: p50 2.0 ms, p95 2.0 ms, p99 2.0 ms, max 2.0 ms"
    )
    assert lines[2] == "  FAIL iterations: max<1 → measured 2: threshold breached"
    assert lines[3] == "  FAIL run: late<1 → measured 2: threshold breached"
    assert lines[4:7] == ["  failed iteration: s: " + "m" * 400] * 3
    assert lines[7:] == [
        "  aborted: a worker stopped on request",
        "  FAIL the shared test data was changed by ['u']",
    ]


def test_print_result_of_a_closed_run(capsys) -> None:
    plan = _plan(
        ClosedModel(type="closed", users=1, duration=1), [thr.parse("iterations", "count>=0")]
    )
    plan.profile = "soak"
    load_command._print_result(merge(plan, [_segment(0, "h")], "processes", None))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "load tiny [soak, processes]: 4 iterations in 2.0s = 2.0/s; dropped 0, late 0, failed 0"
    )
    assert lines[2:] == [
        # no iteration ran: no data, which breaches even count>=0
        "  FAIL iterations: count>=0 → measured no data: threshold breached"
    ]


# --- load files and the command --------------------------------------------------------------

SCENARIOS = "scenarios:\n  - name: noop once\n    tags: [fast]\n    steps:\n      - noop: {}\n"


def _project(tmp_path: Path, load_text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "scenarios" / "load").mkdir(parents=True)
    (tmp_path / "scenarios" / "basic.yaml").write_text(SCENARIOS)
    path = tmp_path / "scenarios" / "load" / "l.yaml"
    path.write_text(load_text)
    return path


def _problems(path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(LoadFileError) as raised:
        load_plan(path, **kwargs)
    assert str(raised.value) == "invalid load file, nothing ran:\n" + "\n".join(
        raised.value.problems
    )
    return raised.value.problems


def test_durations() -> None:
    assert seconds("500ms") == 0.5
    assert seconds(" 2m ") == 120.0
    assert seconds("1.5h") == 5400.0
    assert seconds("3s") == 3.0
    assert seconds(7) == 7
    with pytest.raises(ValueError) as raised:
        seconds("2 parsecs")
    assert str(raised.value) == (
        "'2 parsecs' is not a duration (a number of seconds, or e.g. '500ms', '30s', '2m', '1h')"
    )


def test_a_plan_by_tag_and_file_with_split_weights(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\ndescription: d\nworkers: 3\nmix:\n"
        "  - {tag: fast, weight: 3}\n  - {file: scenarios/basic.yaml}\n"
        "model: {type: closed, users: 2, duration: 500ms}\n"
        "thresholds:\n  iterations: ['rate>=0.5', {threshold: 'p(90)<9', abort_on_fail: true,"
        " delay_abort_eval: 2s}]\n",
    )
    plan = load_plan(path)
    assert (plan.name, plan.source, plan.profile, plan.description) == ("l", str(path), None, "d")
    assert plan.weights == [3.0, 1.0]
    assert plan.selected_by == ["scenarios/basic.yaml: noop once"] * 2
    assert plan.workers == 3 and load_plan(path, workers=1).workers == 1
    assert plan.duration == 0.5
    assert [(t.label, t.abort_on_fail, t.delay_abort_eval) for t in plan.thresholds] == [
        ("iterations: rate>=0.5", False, 0.0),
        ("iterations: p(90)<9", True, 2.0),
    ]


def test_load_file_problems_all_at_once(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\npaths: [scenarios, nowhere]\nmix:\n"
        "  - {file: other.yaml}\n  - {tag: slow, scenario: noop once}\n  - {weight: 2}\n"
        "model: {type: closed, users: 0, duration: 1s}\n",
    )
    assert _problems(path) == [
        f"{path}:6: mix.2: a mix entry names a scenario, a tag or a file",
        f"{path}:7: model.users: Input should be greater than or equal to 1",
    ]
    path.write_text(
        path.read_text().replace("  - {weight: 2}\n", "").replace("users: 0", "users: 1")
    )
    assert _problems(path) == [
        f"{path}:2: paths: {tmp_path / 'nowhere'} does not exist",
        f"{path}:4: mix[0]: file 'other.yaml' is not a scenario file under scenarios, nowhere",
        f"{path}:5: mix[1]: no scenario named 'noop once' and tagged 'slow'",
    ]


def test_profiles_and_unknown_thresholds(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix: [{scenario: noop once}]\n"
        "model: {type: open, rate: 2, duration: 10s}\n"
        "thresholds:\n  'scenario:other': ['avg<1']\n  'action:noop': ['avg<1']\n"
        "profiles:\n  soak: {model: {stages: [{duration: 1m, target: 3}]}}\n"
        "  heavy: {data: {volume: xl}}\n",
    )
    assert _problems(path) == [
        f"{path}:5: thresholds: 'scenario:other': the mix runs no scenario 'other' "
        "(it runs: noop once)"
    ]
    path.write_text(path.read_text().replace("'scenario:other'", "'scenario:noop once'"))
    assert _problems(path, profile="fast") == [
        f"{path}:1: no profile 'fast' (profiles: heavy, soak; --quick needs none)"
    ]
    soak = load_plan(path, profile="soak")
    assert (soak.profile, soak.model.rate, soak.model.duration, soak.duration) == (
        "soak",
        None,
        None,
        60.0,
    )
    quick = load_plan(path, quick=True)
    assert (quick.profile, quick.duration, quick.model.rate) == ("quick", 3.0, 2.0)
    assert load_plan(path, quick=True, profile="heavy").data.volume == "xl"
    path.write_text(
        "name: l\nmix: [{scenario: noop once}]\nmodel: {type: closed, users: 1, duration: 2s}\n"
        "data: {volume: none}\n"
    )
    quick = load_plan(path, quick=True)
    assert (quick.duration, quick.data.volume) == (2.0, "none")


def test_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    (problem,) = _problems(missing, root=tmp_path)
    assert problem.startswith(f"{missing}: cannot read: ")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n")
    assert _problems(listed, root=tmp_path) == [
        f"{listed}:1: a load file is a mapping with name, mix, model"
    ]


def test_load_command_refuses_an_invalid_file_before_running(
    tmp_path: Path, capsys, load_args
) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix: [{scenario: nope}]\nmodel: {type: closed, users: 1, duration: 1s}\n",
    )
    args = load_args(path, path, report_dir=tmp_path / "reports")
    assert load_command.run(args) == load_command.USAGE_EXIT == 2
    problem = f"{path}:2: mix[0]: no scenario named 'nope'"
    assert capsys.readouterr().err == (f"invalid load file, nothing ran:\n{problem}\n{problem}\n")
    assert not (tmp_path / "reports").exists()
    assert THRESHOLD_EXIT == 99
    from prism_scenarios.cli import main

    assert main(["load", str(path), "--report-dir", str(tmp_path / "reports")]) == 2
    assert capsys.readouterr().err == f"invalid load file, nothing ran:\n{problem}\n"


# --- test data -------------------------------------------------------------------------------


def test_data_volumes_and_words() -> None:
    assert [load_data.messages_in(v) for v in load_data.VOLUMES] == [
        0,
        200,
        5000,
        100_000,
        1_000_000,
    ]
    words = load_data._words(1)
    first = [next(words) for _ in range(4)]
    again = load_data._words(1)
    assert [next(again) for _ in range(4)] == first
    state = (1 * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    assert first[0] == load_data._WORDS[(state >> 33) % len(load_data._WORDS)]
    assert load_data.build_template(Path("unused"), {}, "none", 1) is None


def test_fingerprint_sees_size_and_name_changes(tmp_path: Path) -> None:
    (tmp_path / "t" / "d").mkdir(parents=True)
    (tmp_path / "t" / "d" / "f").write_text("ab")
    before = load_data.fingerprint(tmp_path / "t")
    assert before == load_data.fingerprint(tmp_path / "t")
    load_data.link_into(tmp_path / "t", tmp_path / "copy")
    assert (tmp_path / "copy" / "d" / "f").stat().st_ino == (
        tmp_path / "t" / "d" / "f"
    ).stat().st_ino
    (tmp_path / "t" / "d" / "f").write_text("abc")
    assert load_data.fingerprint(tmp_path / "t") != before


# --- a whole load run, in this process --------------------------------------------------------

TINY = (
    "name: tiny\ndescription: four noops\nmix: [{scenario: noop once}]\n"
    "model: {type: open, rate: 40, duration: 100ms}\ndata: {volume: none}\n"
    "thresholds:\n  iterations: ['count>=COUNT']\n"
)


@pytest.fixture
def no_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The load charts (matplotlib, a second each) are drawn elsewhere
    (the tests below); here their bytes stand in."""
    from prism_scenarios.load import charts

    monkeypatch.setattr(charts, "latency_over_time", lambda metrics, name: b"over-time")
    monkeypatch.setattr(charts, "latency_histogram", lambda metrics, name: b"histogram")


def _allure_result(folder: Path) -> dict[str, Any]:
    (result,) = folder.glob("*-result.json")
    return json.loads(result.read_text())


def test_a_load_run_writes_its_reports_and_passes(
    tmp_path: Path, capsys, no_charts, load_args
) -> None:
    path = _project(tmp_path, TINY.replace("COUNT", "4"))
    report_dir = tmp_path / "reports"
    integration_report = report_dir / "integration" / "system_integration_report.json"
    integration_report.parent.mkdir(parents=True)
    integration_report.write_text('{"notes": {}}')
    assert load_command.run(load_args(path, report_dir=report_dir, workers=1)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # --no-progress
    out = captured.out.splitlines()
    # elapsed, the achieved rate and lateness depend on the machine's load
    assert re.fullmatch(
        r"load tiny \[default, inline\]: 4 iterations in \d+\.\ds = \d+\.\d/s "
        r"\(target 40\.0\); dropped 0, late \d+, failed 0",
        out[0],
    ), out[0]
    assert out[2:4] == [
        "  ok   iterations: count>=4 → measured 4: ok",
        "  ok   iterations: rate>=1 → measured 1: ok",
    ]
    folder = report_dir / "load"
    assert out[-2:] == [
        f"  load results: {folder / 'allure-results'}; summary: {folder / 'load_summary.json'}",
        f"  performance fields of {integration_report} now come from this load run",
    ]
    data = json.loads((folder / "tiny.load_report.json").read_text())
    assert (data["planned"], data["started"], data["passed"], data["executor"]) == (
        4,
        4,
        True,
        "inline",
    )
    assert [(t["threshold"], t["measured"], t["passed"]) for t in data["thresholds"]] == [
        ("count>=4", 4.0, True),
        ("rate>=1", 1.0, True),
    ]
    everything = json.loads((folder / "load_summary.json").read_text())
    assert [t["name"] for t in everything["tests"]] == ["tiny"]
    assert json.loads(integration_report.read_text())["load_tests_passed"] is True
    result = _allure_result(folder / "allure-results")
    assert (result["name"], result["status"], result["description"]) == (
        "load: tiny",
        "passed",
        "four noops",
    )
    assert result["fullName"] == f"{path}::load[default]"
    assert result["historyId"] == f"load:{path}:default"
    assert {(label["name"], label["value"]) for label in result["labels"]} >= {
        ("parentSuite", "Load"),
        ("suite", "load"),
        ("feature", "tiny"),
        ("tag", "load"),
        ("framework", "prism-scenarios"),
    }
    assert [p for p in result["parameters"]] == [
        {"name": "profile", "value": "default"},
        {"name": "executor", "value": "inline"},
    ]
    steps = [(s["name"], s["status"]) for s in result["steps"]]
    assert steps[:2] == [
        ("threshold iterations: count>=4 (measured 4)", "passed"),
        ("threshold iterations: rate>=1 (measured 1)", "passed"),
    ]
    assert steps[2][0].startswith("scenario:noop once: 4 iterations, p95 ")
    assert steps[2][0].endswith(" ms, success 1.0") and steps[2][1] == "passed"
    assert result["start"] <= result["stop"]
    assert [a["name"] for a in result["attachments"]] == [
        "latency over time",
        "latency histogram",
        "load_report.json",
    ]
    assert "statusDetails" not in result
    sources = [a["source"] for a in result["attachments"]]
    assert (folder / "allure-results" / sources[0]).read_bytes() == b"over-time"
    assert (folder / "allure-results" / sources[1]).read_bytes() == b"histogram"
    assert json.loads((folder / "allure-results" / sources[2]).read_text()) == data


def test_a_breached_load_run_exits_99(tmp_path: Path, capsys, no_charts, load_args) -> None:
    path = _project(tmp_path, TINY.replace("COUNT", "5"))
    report_dir = tmp_path / "reports"
    args = load_args(path, report_dir=report_dir, workers=1)
    args.no_progress = False
    args.performance_config = SimpleNamespace(  # the performance family's limits
        max_response_time_ms=60_000.0,
        min_success_rate_percent=99.5,
        max_memory_usage_mb=1e6,
        max_cpu_usage_percent=1e6,
    )
    assert load_command.run(args) == THRESHOLD_EXIT
    captured = capsys.readouterr()
    assert captured.err.startswith("load tiny: ")  # the progress line
    out = captured.out.splitlines()
    thresholds = json.loads((report_dir / "load" / "tiny.load_report.json").read_text())
    assert [t["threshold"] for t in thresholds["thresholds"]] == [
        "count>=5",
        "rate>=1",
        "max<=60000",
        "rate>=0.995",
        "peak_rss_mb<=1000000",
        "cpu_percent<=1000000",
    ]
    assert "  FAIL iterations: count>=5 → measured 4: threshold breached" in out
    assert out[-1] == "threshold breached in 1 of 1 load test(s) (exit 99)"
    result = _allure_result(report_dir / "load" / "allure-results")
    assert result["status"] == "failed"
    assert result["statusDetails"]["message"].startswith(
        "ThresholdBreach: threshold breached in load test 'tiny':\n"
        "  iterations: count>=5 → measured 4: threshold breached"
    )
    (failed,) = [s for s in result["steps"] if s["name"].startswith("threshold iterations: count")]
    assert failed["status"] == "failed"
    assert failed["statusDetails"]["message"] == (
        "ThresholdBreach: threshold breached: iterations: count>=5 → measured 4: threshold breached"
    )
    assert failed["parameters"] == [
        {"name": "measured", "value": "4"},
        {"name": "abort_on_fail", "value": "false"},
    ]


# --- the load charts' figures ----------------------------------------------------------------


def _figure(monkeypatch: pytest.MonkeyPatch, draw: Any, metrics: Metrics) -> Any:
    """The Figure a load chart draws, instead of its PNG bytes."""
    from prism_scenarios.load import charts

    captured: list[Any] = []
    monkeypatch.setattr(charts, "_png", lambda figure: captured.append(figure) or b"png")
    assert draw(metrics, "the title") == b"png"
    (figure,) = captured
    return figure


def _two_seconds() -> Metrics:
    metrics = Metrics()
    metrics.record_iteration("s", 0, 0.001, True)
    metrics.record_iteration("s", 0, 0.002, False)
    metrics.record_iteration("s", 2, 0.0015, True)
    return metrics


def test_latency_over_time_figure(monkeypatch) -> None:
    from matplotlib.colors import to_hex

    from prism_scenarios.load import charts

    figure = _figure(monkeypatch, charts.latency_over_time, _two_seconds())
    axis, rate = figure.axes
    assert (axis.get_title(), axis.get_xlabel(), axis.get_ylabel()) == (
        "the title",
        "second of the run (by intended start)",
        "latency, ms",
    )
    assert rate.get_ylabel() == "iterations per second"
    lines = [
        (line.get_label(), line.get_linestyle(), list(line.get_ydata())) for line in axis.lines
    ]
    assert lines == [
        ("p50", "-", [1.0, 1.5]),
        ("p95", "--", [2.0, 1.5]),
        ("p99", ":", [2.0, 1.5]),
    ]
    assert [list(line.get_xdata()) for line in axis.lines] == [[0, 2]] * 3
    bars = [(b.get_x() + b.get_width() / 2, b.get_height()) for b in rate.patches]
    assert bars == [(0, 2), (2, 1), (0, 1), (2, 0)]  # started, then failed
    colors = [(to_hex(b.get_facecolor(), keep_alpha=True)) for b in rate.patches]
    assert colors == ["#80808033", "#80808033", "#ff000099", "#ff000099"]
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert legend == ["p50", "p95", "p99", "iterations started", "failed"]
    assert tuple(figure.get_size_inches()) == (9.0, 4.0)


def test_latency_histogram_figure(monkeypatch) -> None:
    from prism_scenarios.load import charts

    figure = _figure(monkeypatch, charts.latency_histogram, _two_seconds())
    (axis,) = figure.axes
    assert (axis.get_title(), axis.get_xlabel(), axis.get_ylabel()) == (
        "the title",
        "iteration latency, ms (from intended start)",
        "iterations",
    )
    assert len(axis.patches) == 10  # at least 10 bins
    assert sum(b.get_height() for b in axis.patches) == 3  # weighted by the counts
    marks = [(line.get_label(), line.get_color(), line.get_xdata()[0]) for line in axis.lines]
    assert marks == [
        ("p50 1.5 ms", "green", 1.5),
        ("p95 2.0 ms", "orange", 2.0),
        ("p99 2.0 ms", "red", 2.0),
    ]
    assert [t.get_text() for t in axis.get_legend().get_texts()] == [m[0] for m in marks]
    empty = _figure(monkeypatch, charts.latency_histogram, Metrics())
    (axis,) = empty.axes
    assert (list(axis.patches), list(axis.lines), axis.get_legend()) == ([], [], None)
    assert axis.get_xlabel() == "iteration latency, ms (from intended start)"


def test_load_chart_png() -> None:
    from prism_scenarios.load import charts

    png = charts.latency_histogram(Metrics(), "t")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


# --- load-file model details -----------------------------------------------------------------


def test_model_override_replaces_the_schedule_it_names() -> None:
    from prism_scenarios.load.spec import _model_override

    staged = {"type": "open", "start_rate": 1, "stages": [{"duration": 1, "target": 2}], "x": 1}
    assert _model_override(staged, {"rate": 5}) == {"type": "open", "x": 1, "rate": 5}
    assert _model_override(staged, {"duration": "3s"}) == {
        "type": "open",
        "x": 1,
        "duration": "3s",
    }
    constant = {"type": "open", "rate": 2, "duration": 4, "max_in_flight": 3}
    stages = [{"duration": 1, "target": 1}]
    assert _model_override(constant, {"stages": stages}) == {
        "type": "open",
        "max_in_flight": 3,
        "stages": stages,
    }
    assert _model_override(constant, {"max_in_flight": 9}) == {**constant, "max_in_flight": 9}
    assert constant == {"type": "open", "rate": 2, "duration": 4, "max_in_flight": 3}


def test_open_model_schedules() -> None:
    constant = OpenModel(rate=3, duration="2s")
    assert (constant.first_rate, constant.total_duration) == (3, 2.0)
    assert constant.stage_list() == [Stage(2.0, 3)]
    ramp = OpenModel(
        start_rate=1, stages=[{"duration": "1s", "target": 2}, {"duration": 2, "target": 0}]
    )
    assert (ramp.first_rate, ramp.total_duration) == (1, 3.0)
    assert ramp.stage_list() == [Stage(1.0, 2), Stage(2.0, 0)]
    assert (ramp.max_in_flight, ramp.late_after) == (32, 0.01)
    with pytest.raises(ValueError, match="give either rate \\+ duration or stages, not both"):
        OpenModel(rate=1, duration=1, stages=[{"duration": 1, "target": 1}])
    with pytest.raises(ValueError, match="an open model needs rate \\+ duration, or stages"):
        OpenModel(rate=1)
    assert ClosedModel(type="closed", users=2, duration="1m").total_duration == 60.0


def test_quick_of_closed_and_constant_models(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix: [{scenario: noop once}]\nmodel: {type: closed, users: 2, duration: 1m}\n",
    )
    quick = load_plan(path, quick=True)
    assert (quick.model.duration, quick.model.users, quick.data.volume) == (3.0, 2, "small")
    path.write_text(
        "name: l\nmix: [{scenario: noop once}]\nmodel: {type: open, rate: 2, duration: 30s}\n"
        "data: {volume: xl, seed: 7}\n"
    )
    quick = load_plan(path, quick=True)
    assert (quick.model.duration, quick.model.rate) == (3.0, 2.0)
    assert (quick.data.volume, quick.data.seed) == ("small", 7)
    path.write_text(
        "name: l\nmix: [{scenario: noop once}]\nmodel: {type: open, rate: 2, duration: 0}\n"
    )
    assert load_plan(path, quick=True).model.duration == 0.0


def test_plan_from_mapping_and_the_schema(tmp_path: Path) -> None:
    from prism_scenarios.load.spec import json_schema, plan_from_mapping

    _project(tmp_path, "name: unused\n")
    data = {
        "name": "m",
        "workers": 4,
        "mix": [{"scenario": "noop once"}],
        "model": {"type": "closed", "users": 1, "duration": 1},
    }
    plan = plan_from_mapping(data, source="step", root=tmp_path)
    assert (plan.name, plan.source, plan.profile, plan.workers) == ("m", "step", None, 1)
    assert [t.label for t in plan.thresholds] == ["iterations: rate>=1"]
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "prism-scenarios load file"
    assert sorted(schema["required"]) == ["mix", "model", "name"]


# --- run_plan, failing iterations, the live stream, test data ---------------------------------


def test_run_plan_counts_failed_iterations_and_shows_progress(tmp_path: Path) -> None:
    from prism_scenarios.load import run_plan

    scenarios = (
        "scenarios:\n  - name: fails\n    steps:\n      - noop: {}\n        expect: [{equals: 5}]\n"
    )
    path = _project(tmp_path, TINY.replace("noop once", "fails").replace("COUNT", "1"))
    (tmp_path / "scenarios" / "basic.yaml").write_text(scenarios)
    plan = load_plan(path)
    shown = io.StringIO()
    result = run_plan(plan, workers=1, stream=shown)
    assert shown.getvalue().startswith("load tiny: ")
    assert shown.getvalue().endswith("\n")
    assert (result.executor, result.started, result.passed) == ("inline", 4, False)
    (kind,) = result.errors
    assert kind.startswith("fails: ") and result.errors[kind] == 4
    assert len(result.samples) == 4
    sample = result.samples[0]
    assert sorted(sample) == ["error", "message", "scenario", "source"]
    assert (sample["scenario"], sample["source"]) == ("fails", "scenarios/basic.yaml")
    assert sample["error"] == kind.removeprefix("fails: ")
    assert result.metrics.metric("iterations").failed == 4
    quiet = io.StringIO()
    run_plan(plan, workers=1, stream=quiet, progress=False)
    assert quiet.getvalue() == ""


def test_live_on_a_stream_without_isatty() -> None:
    class Sink:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

        def flush(self) -> None:
            pass

    sink = Sink()
    live = Live(_plan(), stream=sink)
    assert live.tty is False
    live.show(force=True)
    assert sink.parts == [live.line() + "\n"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_template_data_is_deterministic_per_seed(tmp_path: Path) -> None:
    made = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        (tmp_path / name).mkdir()
        made.append(load_data.build_template(tmp_path / name, {}, "small", seed))
    assert made[0] == tmp_path / "a" / "store"
    first, again, other = (_tree(root) for root in made)
    assert first == again
    assert first != other
    users = sorted(p.name for p in (made[0] / "users").iterdir() if p.is_dir())
    assert users == ["load-user-0000", "load-user-0001", "load-user-0002", "load-user-0003"]
    logs = sorted((made[0] / "users").rglob("messages.jsonl"))
    assert len(logs) == 8  # 4 users x 2 sessions
    lines = [json.loads(line) for line in logs[0].read_text().splitlines()]
    assert len(lines) == 25
    assert [m["role"] for m in lines[:3]] == ["user", "assistant", "user"]
    assert all(len(m["content"].split()) == 12 for m in lines)
    assert set(lines[0]["content"].split()) <= set(load_data._WORDS)
    session = json.loads(next((made[0] / "users").rglob("session.json")).read_text())
    assert session["title"].startswith("load data load-user-000")
