"""Load runs as a step (``load.run``), so YAML and Gherkin state them in the one vocabulary,
and ``wall.sleep``, real time passing (the generator's own tests and benchmarks)."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from prism_scenarios.actions.outputs import FreeForm, JSONValue
from prism_scenarios.actions.registry import Params, action
from prism_scenarios.components import Component
from prism_scenarios.errors import ScenarioError

LoadReport = dict[
    str, Annotated[JSONValue, FreeForm("the fields of load_report.json (docs/load.md)")]
]


class Mix(Params):
    scenario: str | None = None
    tag: str | None = None
    file: str | None = None
    weight: float = Field(1.0, gt=0)


class LoadRun(Params):
    file: str | None = Field(
        None,
        description="a load file (relative to the project root); "
        "or give mix and a rate or users here",
    )
    profile: str | None = Field(None, description="with file: a named profile ('quick' ...)")
    mix: list[Mix] | None = Field(
        None, min_length=1, description="scenarios by name, tag or file, with weights"
    )
    rate: float | None = Field(None, gt=0, description="open model: arrivals per second")
    users: int | None = Field(None, ge=1, description="closed model: looping users")
    duration: float | str = Field("3s", description="seconds, or '30s', '2m' ...")
    max_in_flight: int = Field(32, ge=1)
    volume: Literal["none", "small", "medium", "large", "xl"] = "none"
    thresholds: dict[str, list[str]] = Field(
        default_factory=dict, description="metric -> k6-style expressions"
    )

    @model_validator(mode="after")
    def _one_source(self) -> LoadRun:
        if (self.file is None) == (self.mix is None):
            raise ValueError("give either file or mix")
        if self.mix is not None and (self.rate is None) == (self.users is None):
            raise ValueError("with mix, give either rate (open model) or users (closed)")
        return self


@action("load.run", component=Component.RUNNER)
async def load_run(world, p: LoadRun) -> LoadReport:
    """Run a load test (in this process) and return its report: ``passed``, ``thresholds``
    with measured values, ``metrics`` per iteration/scenario/action (p95_ms, rate ...),
    ``achieved_rate``, ``dropped``, ``late``. A breached threshold is in the result, not an
    error: expectations on the result decide."""
    from prism_scenarios.load import LoadFileError, load_plan, run_plan
    from prism_scenarios.load.results import summary
    from prism_scenarios.load.spec import plan_from_mapping
    from prism_scenarios.project import project_root

    try:
        if p.file is not None:
            plan = load_plan(project_root() / p.file, profile=p.profile)
        else:
            model: dict[str, Any] = (
                {
                    "type": "open",
                    "rate": p.rate,
                    "duration": p.duration,
                    "max_in_flight": p.max_in_flight,
                }
                if p.rate is not None
                else {"type": "closed", "users": p.users, "duration": p.duration}
            )
            plan = plan_from_mapping(
                {
                    "name": "load.run",
                    "mix": [m.model_dump(exclude_none=True) for m in p.mix or []],
                    "model": model,
                    "data": {"volume": p.volume},
                    "thresholds": p.thresholds,
                },
                source="load.run",
                root=project_root(),
            )
    except LoadFileError as exc:
        raise ScenarioError("load.run: " + "; ".join(exc.problems)) from None
    return summary(run_plan(plan, progress=False))


_exclusive = threading.Lock()


class WallSleep(Params):
    ms: float = Field(ge=0, le=60_000, description="milliseconds of real time")
    exclusive: bool = Field(
        False,
        description="hold one process-wide lock while sleeping: "
        "a stalled shared resource that every other caller queues behind",
    )
    freeze: bool = Field(
        False,
        description="sleep holding the interpreter lock: the whole "
        "process stops (a long GC pause, a blocking C call), the load "
        "generator's own clock thread included",
    )


@action("wall.sleep", component=Component.RUNNER)
async def wall_sleep(world, p: WallSleep) -> float:
    """Let real time pass (blocking, like a slow synchronous call); returns the seconds
    slept. Load tests use it as a stand-in for work of known cost."""
    started = time.perf_counter()
    if p.freeze:
        import ctypes

        # A PyDLL call keeps the GIL (a CDLL call would release it).
        ctypes.PyDLL(None).usleep(int(p.ms * 1000))
    elif p.exclusive:
        with _exclusive:
            time.sleep(p.ms / 1000)
    else:
        time.sleep(p.ms / 1000)
    return time.perf_counter() - started
