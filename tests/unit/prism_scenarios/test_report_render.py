"""Finding and installing the Allure CLI, its config file, and render_html's refusals
(prism_scenarios.report), in-process with stand-ins for node, npm and the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from prism_scenarios import report

GOOD_ALLURE = """\
#!/bin/sh
# generate RESULTS --output OUT --config CONFIG
printf '%s\\n' "$@" > "$FAKE_ARGS"
env > "$FAKE_ENV"
pwd > "$FAKE_CWD"
mkdir -p "$4"
echo new > "$4/index.html"
"""


def _which(monkeypatch: pytest.MonkeyPatch, present: set[str]) -> None:
    monkeypatch.setattr(
        report.shutil, "which", lambda name: f"/usr/bin/{name}" if name in present else None
    )


def test_install_dir_is_the_environment_variable_when_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(tmp_path / "home"))
    assert report.install_dir() == tmp_path / "home"


@pytest.mark.parametrize("home", [None, ""])
def test_install_dir_is_named_by_the_pinned_files_in_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, home: str | None
) -> None:
    if home is None:
        monkeypatch.delenv("PRISM_ALLURE_HOME", raising=False)
    else:
        monkeypatch.setenv("PRISM_ALLURE_HOME", home)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    digest = hashlib.sha256(
        (report.ASSETS / "package.json").read_bytes()
        + (report.ASSETS / "package-lock.json").read_bytes()
    ).hexdigest()
    assert report.install_dir() == tmp_path / "cache" / "prism-scenarios" / f"allure-{digest[:12]}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert report.install_dir() == (
        tmp_path / "me" / ".cache" / "prism-scenarios" / f"allure-{digest[:12]}"
    )


def test_an_installed_binary_is_used_as_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "home" / "node_modules" / ".bin" / "allure"
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(tmp_path / "home"))
    _which(monkeypatch, set())  # npm is not even needed
    assert report.allure_binary() == binary


def test_without_npm_there_is_no_binary_and_a_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(tmp_path / "home"))
    _which(monkeypatch, {"node"})
    assert report.allure_binary() is None
    assert capsys.readouterr().out == (
        "npm is not installed, so the Allure CLI cannot be installed\n"
    )
    assert not (tmp_path / "home").exists()


def _fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\n" + script)
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_npm_ci_installs_the_pinned_files_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "cache" / "allure-x"
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(home))
    _fake_npm(
        tmp_path,
        monkeypatch,
        'echo "$@" > args\nmkdir -p node_modules/.bin\n'
        'echo "#!/bin/sh" > node_modules/.bin/allure\n',
    )
    binary = report.allure_binary()
    assert binary == home / "node_modules" / ".bin" / "allure"
    assert (home / "args").read_text() == "ci --no-audit --no-fund --loglevel=error\n"
    for name in report.INSTALLED:
        assert (home / name).read_bytes() == (report.ASSETS / name).read_bytes()
    assert (tmp_path / "cache" / ".allure-x.lock").exists()
    assert capsys.readouterr().out == (
        f"installing the Allure 3 CLI into {home} (npm ci, once) ...\n"
    )


@pytest.mark.parametrize(
    "script, code", [("exit 4\n", 4), ("exit 0\n", 0)]
)  # npm failed; npm said yes but left no binary
def test_a_failed_install_gives_no_binary_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    script: str,
    code: int,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(home))
    _fake_npm(tmp_path, monkeypatch, script)
    assert report.allure_binary() is None
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"could not install the Allure CLI (npm ci exited {code})"
    )


def test_the_config_file_is_named_by_its_content_and_written_once(tmp_path: Path) -> None:
    text = (report.ASSETS / report.CONFIG).read_bytes()
    path = report.config_file(tmp_path)
    assert path == tmp_path / f"allurerc-{hashlib.sha256(text).hexdigest()[:12]}.mjs"
    assert path.read_bytes() == text
    path.write_text("kept")  # an existing file of that name is not rewritten
    assert report.config_file(tmp_path) == path
    assert path.read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_results_digest_names_the_result_files_only(tmp_path: Path) -> None:
    (tmp_path / "b-result.json").write_text("1")
    (tmp_path / "a-result.json").write_text("2")
    (tmp_path / "x-container.json").write_text("3")
    expected = hashlib.sha256(b"a-result.json\nb-result.json").hexdigest()[:16]
    assert report.results_digest(tmp_path) == expected
    (tmp_path / "a-result.json").write_text("changed content, same name")
    assert report.results_digest(tmp_path) == expected


def test_without_node_no_report_and_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _which(monkeypatch, {"npm"})
    assert report.render_html(tmp_path / "results", tmp_path) is None
    assert capsys.readouterr().out == (
        f"Node.js is not installed, so no HTML report: results are in {tmp_path / 'results'}; "
        "install Node >= 20 and run `prism-scenarios report`.\n"
    )


def test_without_the_cli_no_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _which(monkeypatch, {"node"})
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(tmp_path / "home"))
    assert report.render_html(tmp_path / "results", tmp_path) is None
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"no HTML report; results are in {tmp_path / 'results'}"
    )


@pytest.fixture
def good_allure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "allure-home"
    binary = home / "node_modules" / ".bin" / "allure"
    binary.parent.mkdir(parents=True)
    binary.write_text(GOOD_ALLURE)
    binary.chmod(0o755)
    monkeypatch.setenv("PRISM_ALLURE_HOME", str(home))
    for name in ("ARGS", "ENV", "CWD"):
        monkeypatch.setenv(f"FAKE_{name}", str(tmp_path / name.lower()))
    monkeypatch.setenv("PRISM_ALLURE_HISTORY", "stale")
    monkeypatch.delenv("PRISM_ALLURE_SINGLE_FILE", raising=False)
    real_which = report.shutil.which
    monkeypatch.setattr(
        report.shutil, "which", lambda name: "/usr/bin/node" if name == "node" else real_which(name)
    )
    return home


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines() if "=" in line
    )


def test_render_html_replaces_the_old_report_and_passes_what_allure_needs(
    tmp_path: Path, good_allure: Path
) -> None:
    reports = tmp_path / "reports"
    results = reports / "allure-results"
    results.mkdir(parents=True)
    old = reports / "allure-report"
    old.mkdir()
    (old / "index.html").write_text("old")
    (old / "stale.js").write_text("old")
    index = report.render_html(results, reports, history=False)
    assert index == (reports / "allure-report" / "index.html").resolve()
    assert index.read_text() == "new\n"
    assert sorted(p.name for p in index.parent.iterdir()) == ["index.html"]
    assert sorted(p.name for p in reports.iterdir()) == ["allure-report", "allure-results"]
    args = (tmp_path / "args").read_text().splitlines()
    config = report.config_file(good_allure)
    assert args[:3] == ["generate", str(results.resolve()), "--output"]
    assert Path(args[3]).parent == reports.resolve()
    assert Path(args[3]).name.startswith(".allure-report.")
    assert args[4:] == ["--config", str(config)]
    assert (tmp_path / "cwd").read_text().strip() == str(good_allure)
    env = _env(tmp_path)
    assert env["PRISM_ALLURE_SINGLE_FILE"] == "1"
    assert env["PRISM_ALLURE_CATEGORIES"] == str((results / "categories.json").resolve())
    assert "PRISM_ALLURE_HISTORY" not in env  # no history asked: a stale value is not passed on


@pytest.mark.parametrize(
    "option, variable, passed",
    [
        (None, " 0 ", "0"),
        (None, "1", "1"),
        (None, "yes", "1"),
        (True, "0", "1"),
        (False, None, "0"),
    ],
)
def test_single_file_from_the_option_else_the_environment(
    tmp_path: Path,
    good_allure: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: bool | None,
    variable: str | None,
    passed: str,
) -> None:
    if variable is not None:
        monkeypatch.setenv("PRISM_ALLURE_SINGLE_FILE", variable)
    results = tmp_path / "r"
    results.mkdir()
    report.render_html(results, tmp_path / "reports", single_file=option, history=False)
    assert _env(tmp_path)["PRISM_ALLURE_SINGLE_FILE"] == passed


def test_a_render_with_no_index_fails_and_keeps_the_old_report(
    tmp_path: Path, good_allure: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = good_allure / "node_modules" / ".bin" / "allure"
    binary.write_text('#!/bin/sh\nmkdir -p "$4"\necho oops >&2\n')
    reports = tmp_path / "reports"
    (reports / "allure-report").mkdir(parents=True)
    (reports / "allure-report" / "index.html").write_text("old")
    results = tmp_path / "r"
    results.mkdir()
    assert report.render_html(results, reports) is None
    assert capsys.readouterr().out == "allure generate failed (exit 0):\noops\n\n"
    assert (reports / "allure-report" / "index.html").read_text() == "old"
    assert sorted(p.name for p in reports.iterdir()) == ["allure-report"]  # no staging left


def test_history_entries(tmp_path: Path) -> None:
    assert report.history_entries(tmp_path) == []
    (tmp_path / "history.jsonl").write_text('{"a": 1}\n\n  \n{"b": 2}\n', encoding="utf-8")
    assert report.history_entries(tmp_path) == [{"a": 1}, {"b": 2}]


def test_dropping_the_last_entry_ignores_trailing_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "h"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n\n \n')
    report._drop_last_entry(path)
    assert path.read_bytes() == b'{"a": 1}\n'
    report._drop_last_entry(path)
    assert path.read_bytes() == b""
    report._drop_last_entry(path)
    assert path.read_bytes() == b""
