"""``prism-scenarios report DIR [DIR ...]``: merge the reports of several runs, typically the
shards of one ``run --shard K/N`` spread over machines, into one.

Each DIR is a report folder (``allure-results/``, ``summary.json``, ``junit.xml``, maybe
``load/load_summary.json``) or an ``allure-results`` folder itself. Allure result files are
uuid-named, so their union is the merged results; ``categories.json`` is merged by name
(first seen first: Allure takes the first matching category) and ``environment.properties``
by key (differing values joined). The summaries' tests are merged by node id, and the scope
judged: full only when the shards 1..N of one N are all there, cut from the same suite, and
none was partial for another reason. Each test's prism record is read back whole (one that
cannot be is a MergeError) and written in the current form: an older file's record, which
lacks a field added since, comes out with that field empty.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prism_scenarios.outcome import PROPERTY, OutcomeError, outcome_of
from prism_scenarios.shard import Shard

# outcomes, the worse first: a test that ran in two inputs keeps its worse outcome
SEVERITY = ("error", "failed", "xpassed", "passed", "xfailed", "skipped")


class MergeError(ValueError):
    """The inputs cannot be merged (exit 2): the message says which and why."""


@dataclass
class Source:
    path: Path  # as given
    results: Path
    summary: dict[str, Any] | None
    junit: Path | None
    load_summary: Path | None

    @property
    def shard(self) -> Shard | None:
        record = (self.summary or {}).get("shard")
        return Shard(record["index"], record["count"]) if record else None

    @property
    def label(self) -> str:
        return f"shard {self.shard} ({self.path})" if self.shard else str(self.path)


@dataclass
class Merged:
    tests: dict[str, dict[str, Any]]
    reasons: list[str]
    families: list[str] | None
    started: float
    elapsed: float
    average_cpu_percent: float | None
    peak_cpu_percent: float | None
    peak_rss_mb: float | None
    shards: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def locate(path: Path) -> Source:
    if not path.is_dir():
        raise MergeError(f"{path}: no such folder")
    if (path / "allure-results").is_dir():
        base, results = path, path / "allure-results"
    else:  # an allure-results folder itself; its report folder's files, when it is one
        base, results = (path.parent if path.name == "allure-results" else path), path
    summary = None
    for candidate in (base / "summary.json", path / "summary.json"):
        if candidate.is_file():
            try:
                summary = json.loads(candidate.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise MergeError(f"{candidate}: not JSON ({exc})") from exc
            if not isinstance(summary, dict) or not isinstance(summary.get("tests"), list):
                raise MergeError(f"{candidate}: not a summary.json of prism-scenarios run")
            break
    if summary is None and not any(results.glob("*-result.json")):
        raise MergeError(f"{path}: no Allure results and no summary.json in it")
    junit = base / "junit.xml"
    load = base / "load" / "load_summary.json"
    return Source(
        path, results, summary, junit if junit.is_file() else None, load if load.is_file() else None
    )


def is_shard(path: Path) -> bool:
    try:
        return locate(path).shard is not None
    except MergeError:
        return False


# -- Allure results ------------------------------------------------------------------------
def _properties(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            entries[key.strip()] = value.strip()
    return entries


def merge_results(sources: list[Source], dest: Path) -> list[str]:
    """Copy every source's results into ``dest`` (empty); returns warnings (a file name in two
    sources with different content: the first is kept)."""
    warnings: list[str] = []
    categories: list[dict[str, Any]] = []
    environment: dict[str, list[str]] = {}
    origin: dict[str, Path] = {}
    for source in sources:
        for item in sorted(source.results.iterdir()):
            if not item.is_file() or item.name.startswith("."):
                continue
            if item.name == "categories.json":
                try:
                    loaded = json.loads(item.read_text(encoding="utf-8"))
                except ValueError:
                    warnings.append(f"{item}: not JSON, left out")
                    continue
                names = {c.get("name") for c in categories}
                categories += (
                    [c for c in loaded if isinstance(c, dict) and c.get("name") not in names]
                    if isinstance(loaded, list)
                    else []
                )
                continue
            if item.name == "environment.properties":
                for key, value in _properties(item).items():
                    values = environment.setdefault(key, [])
                    if value not in values:
                        values.append(value)
                continue
            target = dest / item.name
            if target.exists():
                if target.read_bytes() != item.read_bytes():
                    warnings.append(
                        f"{item.name} is in {origin[item.name]} and {item} with "
                        "different content: kept the first"
                    )
                continue
            shutil.copyfile(item, target)
            origin[item.name] = item
    if categories:
        (dest / "categories.json").write_text(json.dumps(categories, indent=2) + "\n")
    shards = [str(s.shard) for s in sources if s.shard]
    if shards:
        environment.setdefault("shards", []).append(", ".join(shards))
    if environment:
        (dest / "environment.properties").write_text(
            "".join(f"{k}={'; '.join(v)}\n" for k, v in environment.items())
        )
    return warnings


def merge_junit(sources: list[Source], dest: Path) -> list[str]:
    """One ``<testsuites>`` holding every source's ``<testsuite>`` elements."""
    warnings: list[str] = []
    root = ET.Element("testsuites", name="prism-scenarios (merged)")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    elapsed = 0.0
    for source in sources:
        if source.junit is None:
            continue
        try:
            tree = ET.parse(source.junit)
        except ET.ParseError as exc:
            warnings.append(f"{source.junit}: not XML ({exc}), left out of junit.xml")
            continue
        top = tree.getroot()
        for suite in [top] if top.tag == "testsuite" else top.findall("testsuite"):
            if source.shard:
                suite.set("name", f"{suite.get('name', 'pytest')} [shard {source.shard}]")
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, 0) or 0)
            elapsed += float(suite.get("time", 0) or 0)
    if len(root):
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", f"{elapsed:.3f}")
        ET.ElementTree(root).write(dest, encoding="utf-8", xml_declaration=True)
    return warnings


# -- summaries and scope -------------------------------------------------------------------
def _worse(a: str, b: str) -> str:
    rank = {o: i for i, o in enumerate(SEVERITY)}
    return a if rank.get(a, len(SEVERITY)) <= rank.get(b, len(SEVERITY)) else b


def merge_summaries(sources: list[Source]) -> Merged:
    """Raises MergeError for inputs that cannot make one report (shards of different N, one
    shard twice, shards mixed with whole runs, a folder without summary.json among others)."""
    with_summary = [s for s in sources if s.summary is not None]
    if len(with_summary) != len(sources):
        missing = ", ".join(str(s.path) for s in sources if s.summary is None)
        raise MergeError(
            f"no summary.json (written by prism-scenarios run) for {missing}: "
            "the integration report needs every input's"
        )
    shards = [s for s in sources if s.shard]
    if shards and len(shards) != len(sources):
        whole = ", ".join(str(s.path) for s in sources if not s.shard)
        raise MergeError(
            f"{whole}: not a shard, merged with shards of a --shard run; merge "
            "the shards of one run only"
        )
    reasons: list[str] = []
    notes: list[str] = []
    if shards:
        counts = sorted({s.shard.count for s in shards})  # type: ignore[union-attr]
        if len(counts) > 1:
            raise MergeError(
                "shards of different runs: "
                + ", ".join(s.label for s in shards)
                + " (every shard of one run has the same N)"
            )
        count = counts[0]
        seen: dict[int, Source] = {}
        for source in shards:
            index = source.shard.index  # type: ignore[union-attr]
            if index in seen:
                raise MergeError(
                    f"shard {index}/{count} given twice: {seen[index].path} and "
                    f"{source.path}; give each shard once"
                )
            seen[index] = source
        missing = [i for i in range(1, count + 1) if i not in seen]
        if missing:
            reasons.append(
                f"missing shard{'s' if len(missing) > 1 else ''} "
                + ", ".join(f"{i}/{count}" for i in missing)
                + f": merged {len(seen)} of {count}"
            )
        records = [s.summary["shard"] for s in shards]  # type: ignore[index]
        if len({(r.get("suite_digest"), r.get("suite_tests")) for r in records}) > 1:
            reasons.append(
                "the shards did not collect the same tests (different code, "
                "paths or filters): a test may be missing or run twice"
            )
        elif len({r.get("durations_digest") for r in records}) > 1:
            reasons.append(
                "the shards were balanced by different durations (give every shard "
                "the same --shard-durations): a test may be missing or run twice"
            )
    elif len(sources) > 1:
        reasons.append(f"merged {len(sources)} runs that are not shards of one run")
    # each input's own reasons: those of every input as they are, the others per input
    own = [list(s.summary.get("partial_because") or []) for s in sources]  # type: ignore[union-attr]
    for position, source in enumerate(sources):
        for reason in own[position]:
            if all(reason in other for other in own):
                if reason not in reasons:
                    reasons.append(reason)
            else:
                reasons.append(f"{source.shard or source.path}: {reason}")
    tests: dict[str, dict[str, Any]] = {}
    twice: list[str] = []
    ordered = sorted(sources, key=lambda s: s.shard.index if s.shard else 0)
    for source in ordered:
        for test in source.summary["tests"]:  # type: ignore[index]
            nodeid = test["nodeid"]
            try:
                record = outcome_of(test)
            except OutcomeError as exc:
                raise MergeError(f"{source.path}: summary.json: {exc}") from None
            if nodeid in tests:
                twice.append(nodeid)
                kept = tests[nodeid]
                kept["outcome"] = _worse(kept["outcome"], test["outcome"])
                kept["duration"] = max(kept["duration"], test["duration"])
                if test["outcome"] == kept["outcome"] and test.get("message"):
                    kept["message"] = test["message"]
                continue
            tests[nodeid] = dict(test) if record is None else {**test, PROPERTY: record.to_dict()}
    if twice:
        reasons.append(
            f"{len(twice)} test(s) ran in more than one input (e.g. {twice[0]}); "
            "each keeps its worse outcome"
        )
    if shards and not reasons:
        expected = shards[0].summary["shard"].get("suite_tests")  # type: ignore[index]
        if expected is not None and len(tests) != expected:
            reasons.append(f"{len(tests)} of the suite's {expected} tests are in the shards")
    families = [s.summary.get("families") for s in sources]  # type: ignore[union-attr]
    resources = [s.summary.get("resources") or {} for s in sources]  # type: ignore[union-attr]
    started = [r["started"] for r in resources if r.get("started") is not None]
    elapsed = [
        r.get("elapsed") or s.summary.get("elapsed_seconds") or 0.0  # type: ignore[union-attr]
        for r, s in zip(resources, sources, strict=True)
    ]
    weighted = [
        (r["average_cpu_percent"], e)
        for r, e in zip(resources, elapsed, strict=True)
        if r.get("average_cpu_percent") is not None
    ]
    peaks = [r["peak_cpu_percent"] for r in resources if r.get("peak_cpu_percent") is not None]
    rss = [r["peak_rss_mb"] for r in resources if r.get("peak_rss_mb") is not None]
    notes.append(
        f"merged from {len(sources)} input(s): "
        + "; ".join(s.label for s in ordered)
        + ". Elapsed is the longest input's (shards run side by side); CPU and "
        "memory figures are per machine: the highest peak, the time-weighted "
        "mean average"
    )
    total = sum(e for _, e in weighted)
    return Merged(
        tests=tests,
        reasons=reasons,
        families=families[0] if families and all(f == families[0] for f in families) else None,
        started=min(started) if started else 0.0,
        elapsed=max(elapsed) if elapsed else 0.0,
        average_cpu_percent=round(sum(a * e for a, e in weighted) / total, 1)
        if weighted and total
        else None,
        peak_cpu_percent=max(peaks) if peaks else None,
        peak_rss_mb=max(rss) if rss else None,
        shards=[str(s.shard) for s in ordered if s.shard],
        notes=notes,
    )


def newest_load_summary(sources: list[Source]) -> Path | None:
    """The most recent load summary among the inputs (a sharded run's shard 1 runs the load
    files of the performance family)."""
    found = []
    for source in sources:
        if source.load_summary is None:
            continue
        try:
            generated = json.loads(source.load_summary.read_text()).get("generated", 0)
        except (OSError, ValueError, AttributeError):
            continue
        found.append((generated, str(source.load_summary), source.load_summary))
    return max(found)[2] if found else None
