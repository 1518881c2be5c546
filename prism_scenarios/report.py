"""Render Allure Report 3 (npm package ``allure``, pinned in ``data/allure/package.json``).

The CLI is installed once per pinned version into a cache folder (``$PRISM_ALLURE_HOME``, or
``~/.cache/prism-scenarios/allure-<lock hash>``), never into the user's project, so
``prism-scenarios run`` works the same from a clone and from an installed wheel. Node is
optional: without it the results stay in ``allure-results/`` and we say how to render them
later. ``allure generate`` exits 0 even when tests failed, so it never gates anything.

History: every render appends one entry to ``REPORT_DIR/history.jsonl`` (Allure 3's
``historyPath``), so the report shows trends, and per test its last results, new failures and
flaky ones. Allure keeps the file to the last ``historyLimit`` entries
(``PRISM_ALLURE_HISTORY_LIMIT``, default :data:`HISTORY_LIMIT`; 0 empties it). Allure rewrites
the file in place, so it works on a copy that replaces the file only when the report was
generated. Rendering the results of the last entry again (``prism-scenarios report``)
replaces that entry instead of adding one, so a run never appears in its own history.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "data" / "allure"
INSTALLED = ("package.json", "package-lock.json")  # what `npm ci` installs from
CONFIG = "allurerc.mjs"
HISTORY = "history.jsonl"
HISTORY_LIMIT = 20


def install_dir() -> Path:
    if os.environ.get("PRISM_ALLURE_HOME"):
        return Path(os.environ["PRISM_ALLURE_HOME"])
    digest = hashlib.sha256(b"".join((ASSETS / f).read_bytes() for f in INSTALLED)).hexdigest()
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
        for name in INSTALLED:
            shutil.copyfile(ASSETS / name, home / name)
        print(f"installing the Allure 3 CLI into {home} (npm ci, once) ...", flush=True)
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home, check=False
        )
    if done.returncode != 0 or not binary.exists():
        print(f"could not install the Allure CLI (npm ci exited {done.returncode})")
        return None
    return binary


def config_file(home: Path) -> Path:
    """This version's allurerc next to the installed CLI (it imports ``allure``, which Node
    resolves from ``home/node_modules``), named by its content: a changed config needs no
    reinstall, and two prism-scenarios versions sharing the cache never swap configs."""
    text = (ASSETS / CONFIG).read_bytes()
    path = home / f"allurerc-{hashlib.sha256(text).hexdigest()[:12]}.mjs"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        os.replace(tmp, path)
    return path


def history_limit() -> int:
    raw = os.environ.get("PRISM_ALLURE_HISTORY_LIMIT", "")
    try:
        return max(0, int(raw)) if raw.strip() else HISTORY_LIMIT
    except ValueError:
        print(
            f"PRISM_ALLURE_HISTORY_LIMIT={raw!r} is not a number; keeping the last "
            f"{HISTORY_LIMIT} runs"
        )
        return HISTORY_LIMIT


def results_digest(results: Path) -> str:
    """Which results a report was rendered from (their uuid-named result files)."""
    names = sorted(p.name for p in results.glob("*-result.json"))
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:16]


def render_html(
    results: Path, report_dir: Path, *, single_file: bool | None = None, history: bool = True
) -> Path | None:
    """Generate ``report_dir/allure-report/index.html`` (appending this run to
    ``report_dir/history.jsonl`` unless ``history`` is false); returns it, or None with a
    reason. ``single_file`` None: one file unless ``PRISM_ALLURE_SINGLE_FILE=0``."""
    if shutil.which("node") is None:
        print(
            f"Node.js is not installed, so no HTML report: results are in {results}; "
            "install Node >= 20 and run `prism-scenarios report`."
        )
        return None
    binary = allure_binary()
    if binary is None:
        print(f"no HTML report; results are in {results}")
        return None
    home = binary.parents[2]
    output = (report_dir / "allure-report").resolve()
    staging = output.with_name(f".allure-report.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    if single_file is None:
        single_file = os.environ.get("PRISM_ALLURE_SINGLE_FILE", "1").strip() != "0"
    env = {
        **os.environ,
        "PRISM_ALLURE_SINGLE_FILE": "1" if single_file else "0",
        "PRISM_ALLURE_CATEGORIES": str((results / "categories.json").resolve()),
    }
    env.pop("PRISM_ALLURE_HISTORY", None)
    history_file = report_dir.resolve() / HISTORY
    source_file = history_file.with_name(f".{HISTORY}.source")
    work = history_file.with_name(f".{HISTORY}.{os.getpid()}")
    source = results_digest(results)
    if history:
        with contextlib.suppress(FileNotFoundError):
            shutil.copyfile(history_file, work)
        env["PRISM_ALLURE_HISTORY"] = str(work)
        env["PRISM_ALLURE_HISTORY_LIMIT"] = str(history_limit())
        try:
            again = source_file.read_text().strip() == source and work.exists()
        except OSError:
            again = False
        if again:  # these results were rendered last: their entry is replaced, not doubled
            _drop_last_entry(work)
    try:
        done = subprocess.run(
            [
                str(binary),
                "generate",
                str(results.resolve()),
                "--output",
                str(staging),
                "--config",
                str(config_file(home)),
            ],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not (staging / "index.html").exists():
            shutil.rmtree(staging, ignore_errors=True)
            print(f"allure generate failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            return None
        if history and work.exists():  # the history moves on only with a new report
            os.replace(work, history_file)
            source_file.write_text(source + "\n")
    finally:
        with contextlib.suppress(FileNotFoundError):
            work.unlink()
    shutil.rmtree(output, ignore_errors=True)  # the old report goes only once the new exists
    staging.rename(output)
    return output / "index.html"


def _drop_last_entry(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    while lines and not lines[-1].strip():
        lines.pop()
    path.write_bytes(b"".join(lines[:-1]))


def history_entries(report_dir: Path) -> list[dict]:
    """The entries of ``report_dir/history.jsonl``, oldest first (for tests and tools)."""
    try:
        lines = (report_dir / HISTORY).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]
