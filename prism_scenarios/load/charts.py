"""The two pictures of a load run, drawn with matplotlib (Agg, no display, no pyplot state):
latency percentiles and throughput per second, and the latency distribution."""

from __future__ import annotations

import io

from prism_scenarios.load.metrics import Metrics


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def latency_over_time(metrics: Metrics, title: str) -> bytes:
    from matplotlib.figure import Figure

    seconds = sorted(metrics.by_second)
    figure = Figure(figsize=(9, 4))
    axis = figure.add_subplot()
    for pct, style in ((50, "-"), (95, "--"), (99, ":")):
        axis.plot(
            seconds,
            [metrics.by_second[s].percentile_ms(pct) for s in seconds],
            style,
            label=f"p{pct}",
        )
    axis.set_xlabel("second of the run (by intended start)")
    axis.set_ylabel("latency, ms")
    axis.set_title(title)
    rate = axis.twinx()
    rate.bar(
        seconds,
        [metrics.by_second[s].count for s in seconds],
        alpha=0.2,
        color="grey",
        label="iterations started",
    )
    rate.bar(
        seconds,
        [metrics.by_second[s].failed for s in seconds],
        alpha=0.6,
        color="red",
        label="failed",
    )
    rate.set_ylabel("iterations per second")
    lines, labels = axis.get_legend_handles_labels()
    more, more_labels = rate.get_legend_handles_labels()
    axis.legend(lines + more, labels + more_labels, loc="upper left", fontsize="small")
    return _png(figure)


def latency_histogram(metrics: Metrics, title: str) -> bytes:
    from matplotlib.figure import Figure

    histogram = metrics.metric("iterations").histogram
    values, counts = [], []
    for item in histogram.get_recorded_iterator():
        values.append(item.value_iterated_to / 1000)
        counts.append(item.count_added_in_this_iter_step)
    figure = Figure(figsize=(9, 4))
    axis = figure.add_subplot()
    if values:
        axis.hist(values, bins=min(60, max(10, len(values))), weights=counts)
        for pct, color in ((50, "green"), (95, "orange"), (99, "red")):
            at = histogram.get_value_at_percentile(pct) / 1000
            axis.axvline(at, color=color, linestyle="--", label=f"p{pct} {at:.1f} ms")
        axis.legend(fontsize="small")
    axis.set_xlabel("iteration latency, ms (from intended start)")
    axis.set_ylabel("iterations")
    axis.set_title(title)
    return _png(figure)
