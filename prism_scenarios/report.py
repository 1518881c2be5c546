"""Render Allure Report 3 (npm package ``allure``, pinned in ``data/allure/package.json``).

The CLI is installed once per pinned version into a cache folder (``$PRISM_ALLURE_HOME``, or
``~/.cache/prism-scenarios/allure-<lock hash>``), never into the user's project, so
``prism-scenarios run`` works the same from a clone and from an installed wheel. Node is
optional: without it the results stay in ``allure-results/`` and we say how to render them
later. ``allure generate`` exits 0 even when tests failed, so it never gates anything.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "data" / "allure"
FILES = ("package.json", "package-lock.json", "allurerc.mjs")


def install_dir() -> Path:
    if os.environ.get("PRISM_ALLURE_HOME"):
        return Path(os.environ["PRISM_ALLURE_HOME"])
    digest = hashlib.sha256(b"".join((ASSETS / f).read_bytes() for f in FILES)).hexdigest()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "prism-scenarios" / f"allure-{digest[:12]}"


def allure_binary() -> Path | None:
    """The pinned Allure CLI, installed with ``npm ci`` on first use; None with a reason."""
    home = install_dir()
    binary = home / "node_modules" / ".bin" / "allure"
    if binary.exists():
        return binary
    if shutil.which("npm") is None:
        print("npm is not installed, so the Allure CLI cannot be installed")
        return None
    home.mkdir(parents=True, exist_ok=True)
    with (home.parent / f".{home.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs installing at once: one does it
        if binary.exists():
            return binary
        for name in FILES:
            shutil.copyfile(ASSETS / name, home / name)
        print(f"installing the Allure 3 CLI into {home} (npm ci, once) ...", flush=True)
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=home, check=False)
    if done.returncode != 0 or not binary.exists():
        print(f"could not install the Allure CLI (npm ci exited {done.returncode})")
        return None
    return binary


def render_html(results: Path, report_dir: Path, *, single_file: bool = True) -> Path | None:
    """Generate ``report_dir/allure-report/index.html``; returns it, or None with a reason."""
    if shutil.which("node") is None:
        print(f"Node.js is not installed, so no HTML report: results are in {results}; "
              "install Node >= 20 and run `prism-scenarios report`.")
        return None
    binary = allure_binary()
    if binary is None:
        print(f"no HTML report; results are in {results}")
        return None
    output = (report_dir / "allure-report").resolve()
    staging = output.with_name(f".allure-report.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    env = {**os.environ, "PRISM_ALLURE_SINGLE_FILE": "1" if single_file else "0",
           "PRISM_ALLURE_CATEGORIES": str((results / "categories.json").resolve())}
    done = subprocess.run([str(binary), "generate", str(results.resolve()), "--output",
                           str(staging), "--config", str(binary.parents[2] / "allurerc.mjs")],
                          cwd=binary.parents[2], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0 or not (staging / "index.html").exists():
        shutil.rmtree(staging, ignore_errors=True)
        print(f"allure generate failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        return None
    shutil.rmtree(output, ignore_errors=True)  # the old report goes only once the new exists
    staging.rename(output)
    return output / "index.html"
