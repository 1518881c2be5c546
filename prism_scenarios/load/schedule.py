"""When each arrival of an open model is due, and which worker starts it.

The schedule is a pure function of the load model: arrival ``i`` is due when the integral of
the (piecewise linear) rate reaches ``i``. Workers take interleaved slices of the same
sequence (k6's execution segments, striped), so any number of workers together start exactly
the arrivals one worker would have, at the same intended times, and the merged rate is exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Stage:
    duration: float  # seconds
    target: float  # arrivals per second at the end of the stage


def arrivals(start_rate: float, stages: list[Stage]) -> Iterator[float]:
    """Intended start offsets (seconds from the run's start), in order."""
    offset, rate, count = 0.0, start_rate, 0.0  # arrivals due before this stage
    next_index = 0
    for stage in stages:
        duration = stage.duration
        slope = (stage.target - rate) / duration if duration > 0 else 0.0
        total = (rate + stage.target) / 2 * duration
        while next_index < count + total - 1e-9:
            k = next_index - count  # arrivals into this stage
            if abs(slope) < 1e-12:
                t = k / rate
            else:  # solve rate*t + slope*t^2/2 = k
                t = (-rate + math.sqrt(max(rate * rate + 2 * slope * k, 0.0))) / slope
            yield offset + min(max(t, 0.0), duration)
            next_index += 1
        offset += duration
        count += total
        rate = stage.target


def segment(offsets: Iterator[float], index: int, count: int) -> Iterator[tuple[int, float]]:
    """This worker's arrivals: ``(arrival number, offset)`` for every ``count``-th one."""
    for number, offset in enumerate(offsets):
        if number % count == index:
            yield number, offset


def weighted_sequence(weights: list[float]) -> list[int]:
    """A deterministic order of choices with exactly proportional counts over each cycle
    (smooth weighted round-robin), so arrival ``i`` picks ``seq[i % len(seq)]`` in every
    worker without a shared random state."""
    fractions = [Fraction(w).limit_denominator(1000) for w in weights]
    scale = math.lcm(*(f.denominator for f in fractions))
    ints = [int(f * scale) for f in fractions]
    common = math.gcd(*ints)
    ints = [i // common for i in ints]
    total = sum(ints)
    if total > 100_000:
        raise ValueError("mix weights too finely divided: keep their ratio within 1:100000")
    current = [0] * len(ints)
    out = []
    for _ in range(total):
        for i, w in enumerate(ints):
            current[i] += w
        best = max(range(len(ints)), key=lambda i: current[i])
        current[best] -= total
        out.append(best)
    return out
