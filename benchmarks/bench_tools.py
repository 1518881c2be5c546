"""Tool execution throughput and sandbox overhead.

    python benchmarks/bench_tools.py [--calc N] [--cmd N] [--json]

Measures, on real files (test preset: no fsync):
- executions/s of a built-in tool (calculator) through FFToolExecutionManager, caching off,
  at the start and at the end of the run (the rate limit reads the whole history file, so
  throughput falls as the history grows), plus cache hits/s;
- executions/s of a sandboxed command (``wc -l`` on a small input file) through the manager,
  for each isolation layer that can run here;
- the sandbox alone (Sandbox.run, per layer) vs a bare ``subprocess.run`` of the same command
  on the same file, in the same run: the difference is the sandbox's overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flatfile_chat import FFStorageManager, IdSource, SystemClock, load_config
from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.tools import FFToolExecutionManager, FFToolRegistryManager
from flatfile_chat.tools.commands import CommandPolicy
from flatfile_chat.tools.sandbox import Sandbox, SandboxLimits

INPUT = "".join(f"line {n}\n" for n in range(200))
LAYERS = {
    "bubblewrap": {"use_bubblewrap": "always", "use_pid_namespace": "auto"},
    "pid_namespace": {"use_bubblewrap": "never", "use_pid_namespace": "auto"},
    "plain": {"use_bubblewrap": "never", "use_pid_namespace": "never"},
}


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(samples),
        "per_second": round(len(samples) / sum(samples), 1),
        "mean_ms": round(1000 * statistics.fmean(samples), 3),
        "p50_ms": round(1000 * ordered[len(ordered) // 2], 3),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 3),
    }


def make_manager(
    root: Path, temp_root: Path, sandbox: dict[str, Any]
) -> tuple[FFStorageManager, FFToolExecutionManager]:
    config = load_config(
        preset="test",
        overrides={
            "tool_execution": {
                "sandbox": {"temp_root": str(temp_root), **sandbox},
                "security_policy": {
                    "allowed_categories": ["computation", "file_system"],
                    "max_executions_per_hour": 10**9,
                    "cooldown_seconds": 0,
                },
            }
        },
    )
    store = FFStorageManager(config, clock=SystemClock(), ids=IdSource(), base_path=root)
    registry = FFToolRegistryManager(store)
    executor = FFToolExecutionManager(store, registry)
    asyncio.run(store.create_user("bench"))
    asyncio.run(registry.initialize_user_tools("bench"))
    return store, executor


def layer_usable(name: str, temp_root: Path) -> bool:
    config = FFToolSandboxConfigDTO(temp_root=str(temp_root), **LAYERS[name])
    try:
        layers = Sandbox(config).layers()
    except Exception:
        return False
    if name == "pid_namespace":
        return "pid_namespace" in layers
    return name in layers or name == "plain"


def bench_builtin(work: Path, temp_root: Path, n: int) -> dict[str, Any]:
    store, executor = make_manager(work / "calc", temp_root, {})
    counter = iter(range(10**9))

    def run(cache: bool) -> None:
        expr = "17 * 3 + 2" if cache else f"{next(counter)} * 3 + 2"
        result = executor.execute_sync(
            "bench",
            {"tool_id": "calculator", "cache_result": cache, "parameters": {"expression": expr}},
        )
        assert result.success, result.error_message

    samples = timed(lambda: run(False), n)
    window = max(1, min(200, n // 5))
    run(True)
    hits = timed(lambda: run(True), max(50, n // 10))
    store.close()
    return {
        "first": summary(samples[:window]),
        "last": summary(samples[-window:]),
        "all": summary(samples),
        "history_lines": n,
        "cache_hits": summary(hits),
    }


def bench_command(work: Path, temp_root: Path, layer: str, n: int) -> dict[str, Any]:
    store, executor = make_manager(work / f"cmd_{layer}", temp_root, LAYERS[layer])
    request = {
        "tool_id": "sandbox_command",
        "cache_result": False,
        "parameters": {"command": "wc", "args": ["-l", "in.txt"], "files": {"in.txt": INPUT}},
    }

    def run() -> None:
        result = executor.execute_sync("bench", request)
        assert result.success and result.result_data == "200 in.txt\n", result.error_message

    run()  # warm-up (bubblewrap probe)
    out = summary(timed(run, n))
    store.close()
    return out


def bench_sandbox_vs_bare(temp_root: Path, layer: str, n: int) -> dict[str, Any]:
    config = FFToolSandboxConfigDTO(temp_root=str(temp_root), **LAYERS[layer])
    sandbox = Sandbox(config)
    vetted = CommandPolicy(config).validate("wc", ["-l", "in.txt"])
    limits = SandboxLimits(timeout_seconds=10)
    sandbox.run(vetted, {"in.txt": INPUT}, limits)
    boxed = summary(timed(lambda: sandbox.run(vetted, {"in.txt": INPUT}, limits), n))
    return boxed


def bench_bare(n: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="ffbench_bare_"))
    (folder / "in.txt").write_text(INPUT)
    wc = shutil.which("wc") or "/usr/bin/wc"

    def run() -> None:
        subprocess.run([wc, "-l", "in.txt"], cwd=folder, capture_output=True, check=True)

    run()
    out = summary(timed(run, n))
    shutil.rmtree(folder)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calc", type=int, default=2000, help="calculator executions")
    parser.add_argument("--cmd", type=int, default=100, help="command executions per layer")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ffbench_"))
    temp_root = Path(tempfile.mkdtemp(prefix="ffbench_sbx_", dir="/tmp"))
    temp_root.chmod(0o711)
    try:
        report: dict[str, Any] = {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "euid": os.geteuid(),
            "builtin_calculator": bench_builtin(work, temp_root, args.calc),
            "bare_subprocess_wc": bench_bare(args.cmd),
            "layers": {},
        }
        for layer in LAYERS:
            if not layer_usable(layer, temp_root):
                report["layers"][layer] = "not usable here"
                continue
            boxed = bench_sandbox_vs_bare(temp_root, layer, args.cmd)
            managed = bench_command(work, temp_root, layer, args.cmd)
            report["layers"][layer] = {
                "sandbox_run": boxed,
                "through_manager": managed,
                "sandbox_overhead_ms": round(
                    boxed["mean_ms"] - report["bare_subprocess_wc"]["mean_ms"], 3
                ),
                "manager_overhead_ms": round(managed["mean_ms"] - boxed["mean_ms"], 3),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(temp_root, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    calc = report["builtin_calculator"]
    print(f"python {report['python']}, {report['cpus']} cpus, euid {report['euid']}")
    print(
        f"calculator (built-in, via manager, cache off): {calc['all']['per_second']}/s "
        f"overall; first {calc['first']['n']}: {calc['first']['per_second']}/s, last "
        f"{calc['last']['n']} (history {calc['history_lines']} lines): "
        f"{calc['last']['per_second']}/s; cache hits {calc['cache_hits']['per_second']}/s"
    )
    bare = report["bare_subprocess_wc"]
    print(f"bare subprocess.run(wc -l): {bare['per_second']}/s, mean {bare['mean_ms']} ms")
    for layer, data in report["layers"].items():
        if isinstance(data, str):
            print(f"{layer:>14}: {data}")
            continue
        print(
            f"{layer:>14}: Sandbox.run {data['sandbox_run']['per_second']}/s "
            f"(mean {data['sandbox_run']['mean_ms']} ms, overhead vs bare "
            f"{data['sandbox_overhead_ms']} ms); via manager "
            f"{data['through_manager']['per_second']}/s "
            f"(+{data['manager_overhead_ms']} ms for policy/history/cache)"
        )


if __name__ == "__main__":
    main()
