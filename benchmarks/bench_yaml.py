"""YAML loading: libyaml path vs the pure-Python path, measured in one run on the same input.

    python benchmarks/bench_yaml.py [--rounds N]

The baseline is ``yaml_lines``' pure-Python path (``LIBYAML = False``), which is what every
load cost before libyaml was used and is still the fallback without it. Each round times every
case on both paths, alternating which goes first; the figures are medians over all rounds.

- loads: the biggest shipped scenario file, all shipped scenario files (YAML only), the same
  files through ``prism_scenarios.loader.load_file`` (YAML plus validation, what a test
  collection pays), and inputs just under the node limit, which are loaded, not refused;
- refusals: a 4.9 MB file of short list items (over the node limit), a billion-laughs bomb,
  10,000 nested ``[``; each must be refused within 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from flatfile_chat.config import yaml_lines
from flatfile_chat.config.yaml_lines import MIB, YAMLError, YAMLLimits, load_yaml_file
from prism_scenarios.actions.registry import load_actions
from prism_scenarios.loader import load_file

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))
BIGGEST = max(SHIPPED, key=lambda p: p.stat().st_size)
PATHS = ("python", "libyaml")
BUDGET_S = 1.0
NODES = YAMLLimits().max_nodes


def _bomb(levels: int = 9, fan_out: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan_out)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan_out)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _inputs(folder: Path) -> dict[str, Path]:
    """The crafted files, written once; sizes as the issue describes them."""
    texts = {
        "many_nodes": "- a\n" * (int(4.9 * MIB) // 4),  # 4.9 MB, ~1.3 million items
        "bomb": _bomb(),
        "nested": "[" * 10_000,
        # Accepted: just under the node limit (limit - 1 with the outer list), three shapes.
        "accepted_items": "- a\n" * (NODES - 2),
        "accepted_mappings": "- {a: 1}\n" * ((NODES - 2) // 3),
        "accepted_dates": "- 2001-01-01\n" * (NODES - 2),
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / f"{name}.yaml"
        paths[name].write_text(text)
    return paths


def _refused(path: Path, expected: str) -> Callable[[], None]:
    def run() -> None:
        try:
            load_yaml_file(path)
        except YAMLError as exc:
            assert expected in str(exc), exc
            return
        raise AssertionError(f"{path.name} was not refused")

    return run


def _cases(inputs: dict[str, Path]) -> dict[str, tuple[Callable[[], object], int]]:
    """name -> (callable, calls per round); quick cases run more often for a steadier median."""
    registry = load_actions()
    return {
        f"load {BIGGEST.relative_to(ROOT)} ({BIGGEST.stat().st_size // 1024} KB)": (
            lambda: load_yaml_file(BIGGEST),
            5,
        ),
        f"load all {len(SHIPPED)} shipped scenario files (YAML)": (
            lambda: [load_yaml_file(p) for p in SHIPPED],
            1,
        ),
        f"load_file all {len(SHIPPED)} shipped files (YAML + validation)": (
            lambda: [load_file(p, registry) for p in SHIPPED],
            1,
        ),
        f"accept {NODES - 1:,} nodes: list of short items": (
            lambda: load_yaml_file(inputs["accepted_items"]),
            1,
        ),
        f"accept {NODES - 1:,} nodes: one-key mappings": (
            lambda: load_yaml_file(inputs["accepted_mappings"]),
            1,
        ),
        f"accept {NODES - 1:,} nodes: dates": (lambda: load_yaml_file(inputs["accepted_dates"]), 1),
        "refuse 4.9 MB of short list items (node limit)": (
            _refused(inputs["many_nodes"], f"YAML has more than {NODES} nodes"),
            1,
        ),
        "refuse billion-laughs bomb": (
            _refused(inputs["bomb"], "through aliases (an alias bomb?)"),
            20,
        ),
        "refuse 10,000 nested '['": (
            _refused(inputs["nested"], "nesting deeper than 64 levels"),
            3,
        ),
    }


def _time(run: Callable[[], object], path: str) -> float:
    yaml_lines.LIBYAML = path == "libyaml"
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        yaml_lines.LIBYAML = yaml.__with_libyaml__


def measure(rounds: int) -> dict[str, dict[str, list[float]]]:
    with tempfile.TemporaryDirectory() as folder:
        cases = _cases(_inputs(Path(folder)))
        times = {name: {path: [] for path in PATHS} for name in cases}
        for round_no in range(rounds):
            order = PATHS if round_no % 2 == 0 else PATHS[::-1]
            for name, (run, calls) in cases.items():
                for _ in range(calls):
                    for path in order:
                        times[name][path].append(_time(run, path))
    return times


def report(times: dict[str, dict[str, list[float]]]) -> None:
    """Medians and ratios; for refusals and accepted worst cases, the slowest libyaml round."""
    width = max(map(len, times))
    print(f"{'case':<{width}}  {'python':>10}  {'libyaml':>10}  {'speed-up':>8}")
    over: dict[str, list[str]] = {"refuse": [], "accept": []}
    for name, by_path in times.items():
        slow, fast = (statistics.median(by_path[p]) for p in PATHS)
        verdict = ""
        kind = name.split()[0]
        if kind in over:
            slowest = max(by_path["libyaml"])
            if slowest > BUDGET_S:
                over[kind].append(name)
            verdict = f"  slowest {slowest * 1000:.0f} ms: " + (
                "within 1 s" if slowest <= BUDGET_S else "OVER 1 s"
            )
        print(
            f"{name:<{width}}  {slow * 1000:>8.1f}ms  {fast * 1000:>8.1f}ms  "
            f"{slow / fast:>7.1f}x{verdict}"
        )
    print(
        "refusals: "
        + (
            "every one within 1 s (libyaml, slowest round)"
            if not over["refuse"]
            else f"OVER 1 s: {', '.join(over['refuse'])}"
        )
    )
    print(
        "accepted worst cases: "
        + ("within 1 s" if not over["accept"] else f"over 1 s: {', '.join(over['accept'])}")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not yaml.__with_libyaml__:
        raise SystemExit("PyYAML was built without libyaml: nothing to compare")
    print(
        f"Python {platform.python_version()}, PyYAML {yaml.__version__}, libyaml "
        f"{yaml._yaml.get_version_string()}, {os.cpu_count()} CPUs, {args.rounds} rounds, "
        "medians"
    )
    report(measure(args.rounds))


if __name__ == "__main__":
    main()
