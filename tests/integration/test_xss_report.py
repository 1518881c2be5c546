"""XSS payloads stored through a scenario stay inert in the Allure HTML report.

The scenario stores markup in a message and a session title; its step parameters, the
attached JSON results and the failure message all carry it. The report is rendered the way
``make run`` does (``prism-scenarios run`` -> Allure 3 CLI, report.py) and opened in headless
Chromium over the DevTools protocol: no injected element may exist, no handler may have run
(title unchanged, no ``window.__pwned``), and the payload must be visible as text. The same
checker is shown to catch a page that writes the payload raw.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

websocket = pytest.importorskip(
    "websocket", reason="websocket-client is not installed (pip install -e '.[dev]')"
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (apt-get install -y chromium; .ci/run does it)",
    ),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="Node.js/npm are not installed: no Allure HTML report to check",
    ),
]

PAYLOAD = (
    "<img src=x onerror=\"document.title='pwned';window.__pwned=1\">"
    "<script>window.__pwned=1</script>"
    '<a id="jslink" href="javascript:window.__pwned=1">click</a>'
)
TITLE_PAYLOAD = "<script>window.__pwned=1</script>"
EXPECTED = '<b onmouseover="window.__pwned=1">MARKER</b>'
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What an injected payload would leave in the DOM (none of it is the report's own markup).
INJECTED = 'img[src="x"], [onerror], [onmouseover], a[href^="javascript:"], b[onmouseover], #jslink'
SCRIPTS_WITH_PAYLOAD = (
    "[...document.scripts].filter(s => s.textContent.includes("
    '"window.__pwned=1") && s.textContent.length < 200).length'
)


class Chromium:
    """Headless Chromium driven over the DevTools protocol (a page's JS evaluated by value)."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="xss-chromium-"))
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            pages = json.loads(answer.read())
        url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(url, suppress_origin=True, timeout=30)
        self.ids = 0

    def call(self, method: str, **params: object) -> dict:
        self.ids += 1
        self.ws.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str) -> object:
        answer = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 15) -> object:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.2)
        return None

    def open(self, url: str) -> None:
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def xss_problems(browser: Chromium, title: str, visible: list[str]) -> list[str]:
    """What shows an executed or injected payload; empty when the page kept it inert."""
    problems = []
    if browser.js("document.title") != title:
        problems.append(f"title changed to {browser.js('document.title')!r}")
    if browser.js("typeof window.__pwned") != "undefined":
        problems.append("window.__pwned was set (an injected script or handler ran)")
    injected = browser.js(
        f"[...document.querySelectorAll({json.dumps(INJECTED)})]"
        ".map(e => e.outerHTML.slice(0, 120))"
    )
    problems += [f"injected element in the DOM: {html}" for html in injected]
    if browser.js(SCRIPTS_WITH_PAYLOAD):
        problems.append("a <script> element carrying the payload is in the DOM")
    text = browser.js("document.body.innerText") or ""
    problems += [f"payload not visible as text: {v!r}" for v in visible if v not in text]
    return problems


@pytest.fixture
def browser():
    chromium = Chromium()
    yield chromium
    chromium.close()


def _scenario(project: Path) -> None:
    (project / "scenarios").mkdir()
    steps = [
        {"user.create": {"user_id": "mallory"}},
        {
            "session.create": {"user_id": "mallory", "title": TITLE_PAYLOAD},
            "save": {"s": "session_id"},
        },
        {
            "message.add": {
                "user_id": "mallory",
                "session_id": "${s}",
                "role": "user",
                "content": PAYLOAD,
            },
            "save": {"m": "message_id"},
        },
        # fails on purpose: the failure message carries the payload and the expected markup
        {
            "message.get": {"user_id": "mallory", "session_id": "${s}", "message_id": "${m}"},
            "expect": [{"path": "content", "equals": EXPECTED}],
        },
    ]
    document = {
        "description": "XSS payloads in a message",
        "tags": ["xss_report"],
        "scenarios": [{"name": "stores <img src=x onerror=alert(1)> as text", "steps": steps}],
    }
    (project / "scenarios" / "xss.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def test_payloads_stay_inert_in_the_allure_html_report(tmp_path, browser):
    _scenario(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "prism_scenarios.cli",
            "run",
            "scenarios",
            "--report-dir",
            "reports",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    html = tmp_path / "reports" / "allure-report" / "index.html"
    if not html.exists():
        pytest.skip(f"the Allure CLI could not render a report here:\n{done.stdout[-1500:]}")
    browser.open(html.as_uri())
    title = browser.js("document.title")
    assert browser.wait_for("document.querySelector('[data-testid=tree-leaf]')"), (
        "the report's test tree never rendered"
    )
    browser.js("document.querySelector('[data-testid=tree-leaf]').click()")
    assert browser.wait_for("document.querySelector('[data-testid=test-result-step-header]')")
    # Every step and every attached result opened, so all the payload's copies render.
    browser.js(
        "document.querySelectorAll('[data-testid=test-result-step-header]').forEach("
        "h => { if (!h.parentElement.querySelector("
        "'[data-testid=test-result-step-content]')) h.click(); })"
    )
    browser.wait_for(
        "document.querySelectorAll('[data-testid=test-result-attachment-header]').length >= 4"
    )
    browser.js(
        "document.querySelectorAll('[data-testid=test-result-attachment-header] button')"
        ".forEach(b => b.click())"
    )
    browser.wait_for("document.body.innerText.includes('\"role\"')", seconds=5)
    browser.js(
        "document.querySelectorAll('a').forEach(a => { if (a.href.startsWith("
        "'javascript:')) a.click(); })"
    )
    assert title == "prism-scenarios"
    # (the failure message shows the expected value JSON-quoted)
    shown_expected = EXPECTED.replace('"', '\\"')
    assert xss_problems(browser, title, [PAYLOAD, TITLE_PAYLOAD, shown_expected]) == []


def test_checker_catches_a_page_that_renders_the_payload_raw(tmp_path, browser):
    page = tmp_path / "unescaped.html"
    page.write_text(f"<html><head><title>report</title></head><body><p>{PAYLOAD}</p></body></html>")
    browser.open(page.as_uri())
    browser.wait_for("typeof window.__pwned !== 'undefined'", seconds=5)
    problems = xss_problems(browser, "report", [PAYLOAD])
    assert any("title changed" in p for p in problems), problems
    assert any("window.__pwned" in p for p in problems), problems
    assert any("injected element" in p for p in problems), problems
    assert any("not visible as text" in p for p in problems), problems


def test_payloads_stay_inert_in_the_integration_summary_html(tmp_path, browser):
    """The one-page summary (reports/integration/system_integration_report.html) shows a failed
    security scenario's name and failure message: as text, with nothing run or injected."""
    _scenario(tmp_path)
    (tmp_path / "scenarios" / "security").mkdir()
    (tmp_path / "scenarios" / "xss.yaml").rename(tmp_path / "scenarios" / "security" / "xss.yaml")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "prism_scenarios.cli",
            "run",
            "scenarios",
            "--report-dir",
            "reports",
            "--no-html",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (1, 6), done.stdout[-3000:] + done.stderr[-2000:]
    page = tmp_path / "reports" / "integration" / "system_integration_report.html"
    browser.open(page.as_uri())
    assert browser.wait_for("document.readyState === 'complete'")
    title = browser.js("document.title")
    name = "stores <img src=x onerror=alert(1)> as text"
    assert name in page.read_text().replace("&lt;", "<").replace("&gt;", ">")
    assert xss_problems(browser, title, [name]) == []
