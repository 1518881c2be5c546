"""The load engine's pure parts: schedule, mix order, thresholds, histogram merging, the
load-file loader's errors, and write attribution across threads."""

from __future__ import annotations

import collections
import itertools
import threading
from pathlib import Path

import pytest

from prism_scenarios import write_audit
from prism_scenarios.load import thresholds as thr
from prism_scenarios.load.metrics import Metric, Metrics
from prism_scenarios.load.schedule import Stage, arrivals, segment, weighted_sequence
from prism_scenarios.load.spec import LoadFileError, load_plan


def test_constant_rate_gives_rate_times_duration_arrivals_evenly_spaced() -> None:
    offsets = list(arrivals(50, [Stage(4, 50)]))
    assert len(offsets) == 200
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(offsets)}
    assert gaps == {0.02}


def test_a_ramp_follows_the_integral_of_the_rate() -> None:
    offsets = list(arrivals(0, [Stage(10, 100), Stage(5, 100), Stage(5, 0)]))
    assert len(offsets) == 500 + 500 + 250
    # Half of the ramp's 500 arrivals are due by the time the rate reaches ~70.7/s.
    assert offsets[250] == pytest.approx(10 * (0.5**0.5), abs=1e-6)
    assert offsets == sorted(offsets)
    assert offsets[-1] < 20


def test_segments_split_the_schedule_exactly() -> None:
    whole = list(enumerate(arrivals(3, [Stage(7, 41)])))
    parts = [list(segment(arrivals(3, [Stage(7, 41)]), i, 3)) for i in range(3)]
    assert sorted(p for part in parts for p in part) == whole
    assert [len(p) for p in parts] == [len(whole[i::3]) for i in range(3)]


def test_the_mix_order_has_exactly_proportional_counts() -> None:
    sequence = weighted_sequence([6, 1, 1, 2])
    assert collections.Counter(sequence) == {0: 6, 1: 1, 2: 1, 3: 2}
    assert collections.Counter(weighted_sequence([0.5, 0.25])) == {0: 2, 1: 1}


@pytest.mark.parametrize(
    ("metric", "text", "measured", "passes"),
    [
        ("iterations", "p(95)<50", 49.9, True),
        ("iterations", "p(95)<50", 50, False),
        ("iterations", "p(99.9) <= 200ms", 200, True),
        ("iterations", "rate>=0.99", 0.98, False),
        ("action:x", "avg<1", 0.5, True),
        ("run", "peak_rss_mb<1024", 2000, False),
        ("run", "cpu_percent<80", 79, True),
        ("run", "dropped==0", 1, False),
    ],
)
def test_thresholds_judge_like_k6(metric: str, text: str, measured: float, passes: bool) -> None:
    assert thr.parse(metric, text).passes(measured) is passes


def test_a_metric_with_no_data_breaches() -> None:
    assert not thr.parse("iterations", "p(95)<50").passes(None)


@pytest.mark.parametrize(
    ("metric", "text", "says"),
    [
        ("iterations", "p95<50", "unknown aggregation 'p95'"),
        ("iterations", "p(95)", "is not '<aggregation> <op> <number>'"),
        ("run", "p(95)<50", "percentiles belong to a latency metric"),
        ("iterations", "peak_rss_mb<1", "unknown aggregation 'peak_rss_mb'"),
        ("iterations", "p(0)<1", "(0, 100]"),
        ("iterations", "rate>=0.9ms", "'ms' only follows a latency"),
    ],
)
def test_bad_thresholds_say_what_is_allowed(metric: str, text: str, says: str) -> None:
    with pytest.raises(thr.ThresholdSyntaxError, match=None) as info:
        thr.parse(metric, text)
    assert says in str(info.value)


def test_merged_histograms_equal_one_histogram_of_everything() -> None:
    whole, parts = Metric(), [Metric() for _ in range(3)]
    for i in range(30_000):
        seconds = ((i * 7919) % 10_007) / 1000 + (i % 3) * 0.5
        whole.record(seconds, i % 97 != 0)
        parts[i % 3].record(seconds, i % 97 != 0)
    merged = Metric()
    for part in parts:
        merged.add(Metric.decode(part.encode()))
    assert merged.summary() == whole.summary()
    for pct in (1, 25, 50, 90, 95, 99, 99.9, 99.99, 100):
        assert merged.percentile_ms(pct) == whole.percentile_ms(pct)


def test_metrics_round_trip_with_per_second_buckets() -> None:
    metrics = Metrics()
    metrics.record_iteration("a", 0, 0.010, True)
    metrics.record_iteration("a", 1, 0.020, False)
    copy = Metrics.decode(metrics.encode())
    assert copy.metric("scenario:a").summary() == metrics.metric("scenario:a").summary()
    assert sorted(copy.by_second) == [0, 1] and copy.by_second[1].failed == 1


# -- the loader -------------------------------------------------------------------------------
SCENARIOS = """\
scenarios:
  - name: noop once
    steps:
      - noop: {}
  - name: skipped one
    skip: not today
    steps:
      - noop: {}
"""


def _project(tmp_path: Path, load_text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "scenarios" / "load").mkdir(parents=True)
    (tmp_path / "scenarios" / "basic.yaml").write_text(SCENARIOS)
    path = tmp_path / "scenarios" / "load" / "l.yaml"
    path.write_text(load_text)
    return path


def _problems(path: Path, **kwargs) -> str:
    with pytest.raises(LoadFileError) as info:
        load_plan(path, **kwargs)
    return "\n".join(info.value.problems)


def test_a_valid_load_file_resolves_its_mix(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix:\n  - {scenario: noop once, weight: 2}\n"
        "model: {type: open, rate: 5, duration: 2s}\n",
    )
    plan = load_plan(path)
    assert [s.name for s in plan.specs] == ["noop once"] and plan.weights == [2.0]
    assert plan.duration == 2.0
    # No rate threshold given: one failed iteration fails the run.
    assert [t.label for t in plan.thresholds] == ["iterations: rate>=1"]


def test_problems_name_file_and_line(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "\n".join(
            [
                "name: l",
                "mix:",
                "  - {scenario: no such scenario}",
                "  - {scenario: skipped one}",
                "model: {type: open, rate: 5, duration: 2 parsecs}",
                "thresholds:",
                "  iterations: ['p(95) < fast']",
                "colour: blue",
                "",
            ]
        ),
    )
    text = _problems(path)
    assert f"{path}:5: model.duration: " in text and "is not a duration" in text
    assert f"{path}:8: colour: unknown key 'colour'" in text
    path.write_text(path.read_text().replace("2 parsecs", "2s").replace("colour: blue\n", ""))
    text = _problems(path)
    assert f"{path}:3: mix[0]: no scenario named 'no such scenario'" in text
    assert f"{path}:4: mix[1]: no scenario named 'skipped one' (the matches are skipped" in text
    assert f"{path}:7: thresholds.iterations[0]: threshold 'p(95) < fast'" in text


def test_a_threshold_on_an_action_the_mix_never_runs_is_refused(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix: [{scenario: noop once}]\n"
        "model: {type: closed, users: 1, duration: 1s}\n"
        "thresholds:\n  'action:message.add': ['p(95)<5']\n",
    )
    assert (
        f"{path}:5: thresholds: 'action:message.add': the mix runs no action "
        "'message.add' (it runs: noop)"
    ) in _problems(path)


def test_open_model_needs_a_schedule_and_profiles_must_exist(tmp_path: Path) -> None:
    path = _project(tmp_path, "name: l\nmix: [{scenario: noop once}]\nmodel: {type: open}\n")
    assert "an open model needs rate + duration, or stages" in _problems(path)
    path.write_text(
        "name: l\nmix: [{scenario: noop once}]\nmodel: {type: open, rate: 1, duration: 1m}\n"
    )
    assert "no profile 'soak' (profiles: none; --quick needs none)" in _problems(
        path, profile="soak"
    )


def test_quick_squeezes_the_schedule_and_keeps_its_shape(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix: [{scenario: noop once}]\n"
        "data: {volume: large}\nmodel:\n  type: open\n"
        "  stages: [{duration: 1m, target: 10}, {duration: 5m, "
        "target: 10}]\n",
    )
    plan = load_plan(path, quick=True)
    assert plan.duration == pytest.approx(3.0)
    assert [s.duration for s in plan.model.stages] == pytest.approx([0.5, 2.5])
    assert plan.data.volume == "small" and plan.profile == "quick"


def test_a_profile_overrides_the_schedule(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "name: l\nmix: [{scenario: noop once}]\nmodel:\n  type: open\n"
        "  stages: [{duration: 1m, target: 10}]\nprofiles:\n"
        "  quick: {model: {rate: 4, duration: 2s}, workers: 2}\n",
    )
    plan = load_plan(path, quick=True)
    assert (plan.model.rate, plan.duration, plan.model.stages, plan.workers) == (4, 2.0, None, 2)


# -- write attribution ------------------------------------------------------------------------
def test_each_thread_sees_only_its_own_writes(tmp_path: Path) -> None:
    """Load iterations run in threads at once: one scenario's write must not land in
    another's record (it would read as a write outside that scenario's store)."""
    barrier = threading.Barrier(2)
    seen: dict[str, list[str]] = {}

    def work(name: str) -> None:
        with write_audit.Recorder() as written:
            barrier.wait()
            for i in range(50):
                (tmp_path / f"{name}-{i}").write_text("x")
            barrier.wait()
        seen[name] = written

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in ("a", "b"):
        assert len(seen[name]) == 50
        assert all(Path(p).name.startswith(f"{name}-") for p in seen[name])
