"""Render Allure Report 3 (npm package ``allure``, pinned in package.json) from results.

Node is optional: without it the results stay in ``allure-results/`` and we say how to render
them later. ``allure generate`` exits 0 even when tests failed, so it never gates anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

PROJECT_ROOT = Path.cwd()


def _allure_binary() -> Path | None:
    local = PROJECT_ROOT / "node_modules" / ".bin" / "allure"
    if local.exists():
        return local
    if shutil.which("npm") is None or not (PROJECT_ROOT / "package.json").exists():
        return None
    print("installing the Allure 3 CLI from package.json (npm ci) ...", flush=True)
    command = ["npm", "ci" if (PROJECT_ROOT / "package-lock.json").exists() else "install",
               "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, check=False)
    return local if done.returncode == 0 and local.exists() else None


def render_html(results: Path, report_dir: Path, *, single_file: bool = True) -> Path | None:
    """Generate ``report_dir/allure-report/index.html``; returns it, or None with a reason."""
    if shutil.which("node") is None:
        print(f"Node.js is not installed, so no HTML report: results are in {results}; "
              "install Node >= 20 and run `prism-scenarios report`.")
        return None
    binary = _allure_binary()
    if binary is None:
        print("could not install the Allure CLI (npm ci failed or package.json missing); "
              f"results are in {results}")
        return None
    output = report_dir / "allure-report"
    shutil.rmtree(output, ignore_errors=True)
    env = {**os.environ, "PRISM_ALLURE_SINGLE_FILE": "1" if single_file else "0",
           "PRISM_ALLURE_CATEGORIES": str(results / "categories.json")}
    done = subprocess.run([str(binary), "generate", str(results), "--output", str(output),
                           "--config", str(PROJECT_ROOT / "allurerc.mjs")],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          check=False)
    index = output / "index.html"
    if done.returncode != 0 or not index.exists():
        print(f"allure generate failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        return None
    return index
