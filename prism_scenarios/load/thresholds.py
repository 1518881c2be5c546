"""k6-style thresholds: ``p(95)<50``, ``avg<=20``, ``rate>=0.99``, ``peak_rss_mb<1024``.

A threshold is written against a metric (``iterations``, ``scenario:<name>``,
``action:<name>`` or ``run``) and is judged on the merged figures of the whole run; the ones
marked ``abort_on_fail`` are also judged on live snapshots once ``delay_abort_eval`` has
passed, and stop the run when breached (k6's semantics).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

# Aggregations over a latency metric (values in milliseconds), and the success ratio.
LATENCY_AGGREGATIONS = ("avg", "min", "max", "med", "count", "rate")
# Aggregations of the whole run (``run:``): resources and generator health.
RUN_AGGREGATIONS = ("peak_rss_mb", "cpu_percent", "dropped", "late", "achieved_rate", "errors")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_EXPRESSION = re.compile(
    r"^\s*(?P<agg>p\(\s*(?P<pct>\d+(?:\.\d+)?)\s*\)|[a-z_][a-z0-9_.]*)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>ms)?\s*$"
)


class ThresholdSyntaxError(ValueError):
    """A threshold expression that cannot be judged; the message says what is allowed."""


@dataclass(frozen=True)
class Threshold:
    metric: str  # iterations | scenario:<name> | action:<name> | run
    expression: str
    aggregation: str  # p(95) is stored as "p" with percentile 95
    percentile: float | None
    op: str
    value: float
    abort_on_fail: bool = False
    delay_abort_eval: float = 0.0
    origin: str = ""  # where a threshold not written in the load file comes from

    @property
    def label(self) -> str:
        where = f" ({self.origin})" if self.origin else ""
        return f"{self.metric}: {self.expression}{where}"

    def passes(self, measured: float | None) -> bool:
        """A metric with no data breaches every threshold: nothing ran, nothing is proven."""
        return measured is not None and _OPERATORS[self.op](measured, self.value)


def parse(
    metric: str, expression: str, *, abort_on_fail: bool = False, delay_abort_eval: float = 0.0
) -> Threshold:
    match = _EXPRESSION.match(expression)
    if match is None:
        raise ThresholdSyntaxError(
            f"threshold {expression!r} is not '<aggregation> <op> <number>' (e.g. "
            "'p(95)<50', 'avg<=20', 'rate>=0.99'; operators < <= > >= == !=)"
        )
    agg, pct = match["agg"], match["pct"]
    run_metric = metric == "run"
    allowed = RUN_AGGREGATIONS if run_metric else LATENCY_AGGREGATIONS
    if pct is not None:
        if run_metric:
            raise ThresholdSyntaxError(
                f"threshold {expression!r}: percentiles belong to a "
                "latency metric (iterations, scenario:..., action:...)"
                ", not to run"
            )
        if not 0 < float(pct) <= 100:
            raise ThresholdSyntaxError(
                f"threshold {expression!r}: the percentile must be in (0, 100]"
            )
    elif agg not in allowed:
        hint = f"; write p({agg[1:]})" if re.fullmatch(r"p\d+(\.\d+)?", agg) else ""
        raise ThresholdSyntaxError(
            f"threshold {expression!r}: unknown aggregation {agg!r} for metric {metric!r} "
            f"(allowed: {', '.join(('p(N)',) * (not run_metric) + allowed)}){hint}"
        )
    if match["unit"] and (run_metric or agg in ("count", "rate")):
        raise ThresholdSyntaxError(
            f"threshold {expression!r}: 'ms' only follows a latency aggregation"
        )
    return Threshold(
        metric=metric,
        expression=expression.strip(),
        aggregation="p" if pct is not None else agg,
        percentile=float(pct) if pct is not None else None,
        op=match["op"],
        value=float(match["value"]),
        abort_on_fail=abort_on_fail,
        delay_abort_eval=delay_abort_eval,
    )


def _plain(value: float, per: int = 1) -> str:
    """``value / per`` as the expression grammar reads it: every digit, no exponent (``:g``
    wrote 1e+06 for a million, which the grammar refuses, and rounded to six digits). Decimal
    arithmetic, so 99.9 percent is 0.999, not 0.9990000000000001."""
    text = format(Decimal(repr(float(value))) / per, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def from_performance_config(config: Any) -> list[Threshold]:
    """The run configuration's performance limits (``FFPerformanceTestConfigDTO``) as
    thresholds judged on every load file of the performance family, beside the file's own."""
    origin = "performance_config"
    written = [
        ("iterations", f"max<={_plain(config.max_response_time_ms)}"),
        ("iterations", f"rate>={_plain(config.min_success_rate_percent, per=100)}"),
        ("run", f"peak_rss_mb<={_plain(config.max_memory_usage_mb)}"),
        ("run", f"cpu_percent<={_plain(config.max_cpu_usage_percent)}"),
    ]
    return [replace(parse(metric, expression), origin=origin) for metric, expression in written]


@dataclass(frozen=True)
class Verdict:
    threshold: Threshold
    measured: float | None

    @property
    def passed(self) -> bool:
        return self.threshold.passes(self.measured)

    def describe(self) -> str:
        shown = "no data" if self.measured is None else f"{self.measured:.6g}"
        return (
            f"{self.threshold.label} → measured {shown}: "
            f"{'ok' if self.passed else 'threshold breached'}"
        )


def judge(thresholds: list[Threshold], measure: Callable[[Threshold], Any]) -> list[Verdict]:
    return [Verdict(t, measure(t)) for t in thresholds]
