"""Load runs: any functional scenario becomes a load test (``prism-scenarios load``).

``load_plan`` reads a load file, ``run_plan`` runs it (in this process, in local worker
processes, or on a Dask cluster) and returns a :class:`LoadResult` with exactly merged
HdrHistogram percentiles and the thresholds judged.
"""

from __future__ import annotations

from typing import TextIO

from prism_scenarios.load.results import LoadResult
from prism_scenarios.load.spec import LoadFileError, Plan, load_plan

# The exit code when a threshold is breached or the run aborted on one (k6 uses 99 too).
THRESHOLD_EXIT = 99

__all__ = ["THRESHOLD_EXIT", "LoadFileError", "LoadResult", "Plan", "load_plan", "run_plan"]


def run_plan(
    plan: Plan,
    *,
    workers: int | None = None,
    dask: str | None = None,
    stream: TextIO | None = None,
    progress: bool = True,
) -> LoadResult:
    """Run ``plan``: one worker runs in this process; more run as local processes; with a
    ``dask`` scheduler address, one segment per Dask worker (or ``workers`` segments)."""
    import io

    from prism_scenarios.load import executors
    from prism_scenarios.load.live import Live

    live = Live(plan, stream=stream if progress else io.StringIO())
    if dask:
        return executors.run_dask(plan, dask, workers, live)
    count = workers or plan.workers
    if count <= 1:
        return executors.run_inline(plan, live)
    return executors.run_processes(plan, count, live)
