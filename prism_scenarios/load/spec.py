"""Load files (``scenarios/load/*.yaml``): which scenarios, how hard, judged by what.

A load file has no top-level ``scenarios:`` key, so the functional run never collects it; it
picks existing scenarios by name, tag or file (the functional scenario *is* the load script,
its expectations and invariants stay on), gives them weights and a load model, and states
k6-style thresholds. Every problem is reported as ``file:line: message``, all at once, before
anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from flatfile_chat.config import deep_merge
from flatfile_chat.config.yaml_lines import (
    LineDict,
    LineList,
    YAMLError,
    load_yaml,
    plain,
    read_text_bounded,
)
from prism_scenarios.load import thresholds as thr
from prism_scenarios.load.schedule import Stage

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
VOLUMES = ("none", "small", "medium", "large", "xl")


def seconds(value: Any) -> Any:
    """``"30s"``, ``"2m"``, ``"500ms"``, ``"1h"`` or a number of seconds."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f"{value!r} is not a duration (a number of seconds, or e.g. "
                "'500ms', '30s', '2m', '1h')"
            )
        return float(match[1]) * _UNIT[match[2]]
    return value


Duration = Annotated[
    float,
    BeforeValidator(seconds),
    Field(ge=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h)\s*$"},
            ],
            "description": "seconds, or a string such as '500ms', '30s', '2m', '1h'",
        }
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MixEntry(_Strict):
    """Scenarios to run as iterations: by ``scenario`` name, by ``tag``, or all of a
    ``file``; ``weight`` is relative to the other entries (split evenly among matches)."""

    scenario: str | None = None
    tag: str | None = None
    file: str | None = Field(None, description="scenario file, relative to the project root")
    weight: float = Field(1.0, gt=0)

    @pydantic.model_validator(mode="after")
    def _names_something(self) -> MixEntry:
        if not (self.scenario or self.tag or self.file):
            raise ValueError("a mix entry names a scenario, a tag or a file")
        return self


class StageSpec(_Strict):
    duration: Duration
    target: float = Field(ge=0, description="arrivals per second at the end of the stage")


class OpenModel(_Strict):
    """Arrivals on a schedule, whatever the system does (k6's arrival-rate executors).
    Latency counts from each arrival's intended start, so a stall shows in the tail."""

    type: Literal["open"] = "open"
    rate: float | None = Field(None, gt=0, description="constant arrivals per second")
    duration: Duration | None = Field(None, description="with rate: how long")
    start_rate: float = Field(0, ge=0, description="with stages: the rate before the first")
    stages: list[StageSpec] | None = Field(None, min_length=1)
    max_in_flight: int = Field(
        32,
        ge=1,
        description="iterations running at once per worker; an arrival finding all busy is dropped",
    )
    late_after: Duration = Field(
        0.01,
        description="an iteration that starts later than "
        "this after its intended time counts as late",
    )

    @pydantic.model_validator(mode="after")
    def _one_schedule(self) -> OpenModel:
        if self.stages is None and (self.rate is None or self.duration is None):
            raise ValueError("an open model needs rate + duration, or stages")
        if self.stages is not None and self.rate is not None:
            raise ValueError("give either rate + duration or stages, not both")
        return self

    def stage_list(self) -> list[Stage]:
        if self.stages is None:
            assert self.rate is not None and self.duration is not None
            return [Stage(self.duration, self.rate)]
        return [Stage(s.duration, s.target) for s in self.stages]

    @property
    def first_rate(self) -> float:
        return self.rate if self.stages is None else self.start_rate  # type: ignore[return-value]

    @property
    def total_duration(self) -> float:
        return sum(s.duration for s in self.stage_list())


class ClosedModel(_Strict):
    """``users`` loops, each starting its next iteration when the last ends. Tail latency
    is optimistic here: a slow system slows the arrivals too (coordinated omission)."""

    type: Literal["closed"]
    users: int = Field(ge=1)
    duration: Duration

    @property
    def total_duration(self) -> float:
        return self.duration


class DataSpec(_Strict):
    """Test data generated (deterministically, from ``seed``) before the timed phase."""

    volume: Literal["none", "small", "medium", "large", "xl"] = "small"
    seed: int = 1


class ThresholdSpec(_Strict):
    threshold: str
    abort_on_fail: bool = False
    delay_abort_eval: Duration = 0


ThresholdEntry = str | ThresholdSpec
_METRIC = r"^(iterations|run|scenario:.+|action:.+)$"


class LoadFile(_Strict):
    """A load file (``scenarios/load/*.yaml``)."""

    name: str = Field(min_length=1)
    description: str = ""
    paths: list[str] = Field(
        default_factory=lambda: ["scenarios"], description="where the mix's scenarios are looked up"
    )
    mix: list[MixEntry] = Field(min_length=1)
    model: OpenModel | ClosedModel = Field(discriminator="type")
    data: DataSpec = Field(default_factory=DataSpec)
    thresholds: dict[Annotated[str, Field(pattern=_METRIC)], list[ThresholdEntry]] = Field(
        default_factory=dict,
        description="metric (iterations, scenario:<name>, "
        "action:<name>, run) -> k6-style expressions",
    )
    workers: int = Field(1, ge=1, description="local worker processes")
    profiles: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="named overrides (model, data, thresholds, "
        "workers), chosen with --profile; 'quick' is what --quick runs",
    )


class LoadFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid load file, nothing ran:\n" + "\n".join(problems))
        self.problems = problems


# What --quick runs when a file has no 'quick' profile: a few seconds, small data.
QUICK_SECONDS = 3.0


@dataclass
class Plan:
    """A load file resolved: the scenarios to run and everything a worker needs (picklable,
    so a worker process or a Dask worker gets it whole)."""

    name: str
    source: str
    profile: str | None
    specs: list[Any]  # ScenarioSpec
    weights: list[float]
    model: OpenModel | ClosedModel
    data: DataSpec
    thresholds: list[thr.Threshold]
    workers: int
    description: str = ""
    selected_by: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.model.total_duration


def load_plan(
    path: Path | str,
    *,
    profile: str | None = None,
    quick: bool = False,
    root: Path | None = None,
    workers: int | None = None,
) -> Plan:
    path = Path(path)
    source = str(path)
    try:
        document = load_yaml(read_text_bounded(path), source)
    except (YAMLError, OSError) as exc:
        raise LoadFileError(
            [str(exc) if isinstance(exc, YAMLError) else f"{source}: cannot read: {exc}"]
        ) from None
    if root is None:  # paths are the project's: the load file's project, not the cwd
        from prism_scenarios.project import project_root

        root = project_root(path.resolve().parent)
    return _plan(document, source, profile=profile, quick=quick, root=root, workers=workers)


def plan_from_mapping(data: dict[str, Any], *, source: str, root: Path) -> Plan:
    """A plan from a load file's content given as data (the ``load.run`` action)."""
    document = load_yaml(__import__("json").dumps(data), source)
    return _plan(document, source, profile=None, quick=False, root=root, workers=1)


def _plan(
    document: Any, source: str, *, profile: str | None, quick: bool, root: Path, workers: int | None
) -> Plan:
    if not isinstance(document, LineDict):
        raise LoadFileError([f"{source}:1: a load file is a mapping with name, mix, model"])
    spec = _validated(document, plain(document), source, [])
    if profile is None and quick:
        profile = "quick"
    if profile is not None:
        overrides = spec.profiles.get(profile)
        if overrides is None and profile != "quick":
            known = ", ".join(sorted(spec.profiles)) or "none"
            raise LoadFileError(
                [
                    f"{source}:{document.line}: no profile {profile!r} "
                    f"(profiles: {known}; --quick needs none)"
                ]
            )
        if overrides is None:
            spec = _quick(spec)
        else:
            merged = deep_merge(plain(document), overrides)
            if "model" in overrides and "type" not in overrides["model"]:
                merged["model"] = _model_override(plain(document)["model"], overrides["model"])
            merged.pop("profiles", None)
            spec = _validated(document, merged, source, ["profiles", profile])
    thresholds, problems = _thresholds(spec, document, source)
    if not any(t.metric == "iterations" and t.aggregation == "rate" for t in thresholds):
        # Expectations stay on under load: unless the file allows some failures, one failed
        # iteration fails the run.
        thresholds.append(thr.parse("iterations", "rate>=1"))
    specs, weights, selected, more = _resolve_mix(spec, document, source, root)
    problems += more
    if specs:
        problems += _unknown_targets(spec, specs, document, source)
    if problems:
        raise LoadFileError(problems)
    return Plan(
        name=spec.name,
        source=source,
        profile=profile,
        specs=specs,
        weights=weights,
        model=spec.model,
        data=spec.data,
        thresholds=thresholds,
        workers=workers or spec.workers,
        description=spec.description,
        selected_by=selected,
    )


def _model_override(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A profile's ``model: {rate: 5, duration: 3s}`` replaces the schedule keys it names
    (stages and rate exclude each other), keeping the rest."""
    merged = dict(base)
    if "rate" in override or "duration" in override:
        merged.pop("stages", None)
        merged.pop("start_rate", None)
    if "stages" in override:
        merged.pop("rate", None)
        merged.pop("duration", None)
    merged.update(override)
    return merged


def _quick(spec: LoadFile) -> LoadFile:
    """Seconds, not minutes: the schedule squeezed into :data:`QUICK_SECONDS` (a ramp keeps
    its shape), small data."""
    model = spec.model
    factor = min(1.0, QUICK_SECONDS / model.total_duration) if model.total_duration else 1.0
    if isinstance(model, ClosedModel):
        model = model.model_copy(update={"duration": model.duration * factor})
    elif model.stages is None:
        model = model.model_copy(update={"duration": (model.duration or 0) * factor})
    else:
        model = model.model_copy(
            update={
                "stages": [
                    s.model_copy(update={"duration": s.duration * factor}) for s in model.stages
                ]
            }
        )
    volume = "small" if spec.data.volume != "none" else "none"
    return spec.model_copy(
        update={"model": model, "data": spec.data.model_copy(update={"volume": volume})}
    )


def _validated(
    document: LineDict, data: dict[str, Any], source: str, prefix: list[Any]
) -> LoadFile:
    try:
        return LoadFile.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [*prefix, *_written(data, list(error["loc"]))]
            line = _line(document, loc) or document.line
            where = ".".join(map(str, loc)) or "file"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}"
            problems.append(f"{source}:{line}: {where}: {message}")
        raise LoadFileError(problems) from None


def _written(data: Any, loc: list[Any]) -> list[Any]:
    """Pydantic's error location without the union/type tags it adds (``open``, ``str``)."""
    out, node = [], data
    for step in loc:
        in_dict = isinstance(node, dict) and step in node
        if in_dict or (isinstance(node, list) and isinstance(step, int) and step < len(node)):
            out.append(step)
            node = node[step]
    return out


def _line(document: Any, loc: list[Any]) -> int | None:
    line, node = getattr(document, "line", None), document
    for step in loc:
        if isinstance(node, LineDict) and step in node:
            line, node = node.key_lines.get(step, line), node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line, node = node.item_lines[step], node[step]
        else:
            break
    return line


def _thresholds(
    spec: LoadFile, document: LineDict, source: str
) -> tuple[list[thr.Threshold], list[str]]:
    out, problems = [], []
    for metric, entries in spec.thresholds.items():
        for i, entry in enumerate(entries):
            text = entry if isinstance(entry, str) else entry.threshold
            extra = (
                {}
                if isinstance(entry, str)
                else {
                    "abort_on_fail": entry.abort_on_fail,
                    "delay_abort_eval": entry.delay_abort_eval,
                }
            )
            try:
                out.append(thr.parse(metric, text, **extra))
            except thr.ThresholdSyntaxError as exc:
                line = _line(document, ["thresholds", metric, i]) or document.line
                problems.append(f"{source}:{line}: thresholds.{metric}[{i}]: {exc}")
    return out, problems


def _resolve_mix(
    spec: LoadFile, document: LineDict, source: str, root: Path
) -> tuple[list[Any], list[float], list[str], list[str]]:
    from prism_scenarios import discovery
    from prism_scenarios.errors import ScenarioFileError
    from prism_scenarios.loader import load_file

    problems: list[str] = []
    found = discovery.find([root / p for p in spec.paths])
    for missing in found.missing:
        problems.append(
            f"{source}:{_line(document, ['paths']) or document.line}: paths: "
            f"{missing} does not exist"
        )
    files: dict[Path, list[Any]] = {}
    for path in sorted(found.yaml):
        try:
            files[path.resolve()] = load_file(path, display=_shown(path, root)).scenarios
        except ScenarioFileError as exc:
            problems.extend(exc.problems)
    specs: list[Any] = []
    weights: list[float] = []
    selected: list[str] = []
    for i, entry in enumerate(spec.mix):
        line = _line(document, ["mix", i]) or document.line
        where = f"{source}:{line}: mix[{i}]"
        pool = files
        if entry.file is not None:
            wanted = (root / entry.file).resolve()
            if wanted not in files:
                problems.append(
                    f"{where}: file {entry.file!r} is not a scenario file under "
                    f"{', '.join(spec.paths)}"
                )
                continue
            pool = {wanted: files[wanted]}
        candidates = [s for scenarios in pool.values() for s in scenarios]
        matched = [
            s
            for s in candidates
            if (entry.scenario is None or entry.scenario in (s.name, s.display_name))
            and (entry.tag is None or entry.tag in s.tags)
        ]
        usable = [s for s in matched if s.attack is None and not s.skip and not s.xfail]
        if not usable:
            what = " and ".join(
                filter(
                    None,
                    [
                        entry.scenario and f"named {entry.scenario!r}",
                        entry.tag and f"tagged {entry.tag!r}",
                        entry.file and f"in {entry.file}",
                    ],
                )
            )
            why = (
                " (the matches are skipped, xfail or attack runs: not load scripts)"
                if matched
                else ""
            )
            problems.append(f"{where}: no scenario {what}{why}")
            continue
        for scenario in usable:
            specs.append(scenario)
            weights.append(entry.weight / len(usable))
            selected.append(f"{scenario.source}: {scenario.display_name}")
    return specs, weights, selected, problems


def _unknown_targets(
    spec: LoadFile, specs: list[Any], document: LineDict, source: str
) -> list[str]:
    """A threshold on a scenario or action the mix never runs could never be met: say so
    now, not after the run."""
    known = {
        "scenario": sorted({s.display_name for s in specs}),
        "action": sorted({step.action for s in specs for step in s.steps}),
    }
    problems = []
    for metric in spec.thresholds:
        kind, _, name = metric.partition(":")
        if kind in known and name not in known[kind]:
            line = _line(document, ["thresholds", metric]) or document.line
            problems.append(
                f"{source}:{line}: thresholds: {metric!r}: the mix runs no "
                f"{kind} {name!r} (it runs: {', '.join(known[kind])})"
            )
    return problems


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def json_schema() -> dict[str, Any]:
    schema = LoadFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "prism-scenarios load file"
    return schema
