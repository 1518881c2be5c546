"""Attack mode: payload corpora, the attack world (victim + canary) and the attack oracles.

A scenario with ``attack: {payload: [path_traversal, xss]}`` runs once per corpus line with
``${payload}`` set to that line (loader). Each run's world also holds a *victim* user whose
messages carry a secret marker, and a *canary* file beside the store root; after every step
the engine asks :class:`AttackOracle` whether the hostile input got anywhere it must not:

- ``outside_root``: nothing written or read outside the world's roots (symlinks resolved);
- ``canary``: the canary's bytes and mtime are unchanged;
- ``cross_user``: no step result shows the victim's secret;
- ``argv``: a payload given to a command tool as one argument reached it as one argv element;
- ``outcome``: the step's ``attack_outcome`` held (refused = a domain error, never a raw
  exception; verbatim = accepted and read back byte-identical).

Corpora are vendored subsets (``data/payloads/<name>.txt``, THIRD_PARTY.md). How much of each
is used is the scan depth (``PRISM_SCAN_DEPTH``): ``basic`` the first
:data:`BASIC_LINES` payloads, ``standard`` the vendored file, ``comprehensive`` the vendored
file plus ``$PRISM_PAYLOADS_DIR/<name>.txt`` (full upstream lists, never committed).
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prism_scenarios import write_audit

PAYLOAD_DIR = Path(__file__).parent / "data" / "payloads"
DEPTHS = ("basic", "standard", "comprehensive")
DEFAULT_DEPTH = "standard"
BASIC_LINES = 5
DEPTH_ENV = "PRISM_SCAN_DEPTH"
DEEP_DIR_ENV = "PRISM_PAYLOADS_DIR"
OUTCOMES = ("refused", "verbatim", "refused_or_verbatim")
VICTIM = "victim"
CANARY_NAME = "canary.txt"


class AttackConfigError(ValueError):
    """A scan depth or deep-scan folder that cannot be used (message says what to set)."""


@dataclass(frozen=True)
class Payload:
    corpus: str
    line: int  # 1-based line in the corpus file: ``name[corpus-line]`` finds it again
    text: str

    @property
    def id(self) -> str:
        return f"{self.corpus}-{self.line}"


@dataclass(frozen=True)
class AttackPoint:
    """What one attack run attacks: ``variable`` holds ``payload``."""

    variable: str
    payload: Payload


def corpus_names() -> list[str]:
    return sorted(p.stem for p in PAYLOAD_DIR.glob("*.txt"))


def scan_depth(value: str | None = None) -> str:
    depth = (value or os.environ.get(DEPTH_ENV, "") or DEFAULT_DEPTH).strip()
    if depth not in DEPTHS:
        raise AttackConfigError(
            f"unknown security scan depth {depth!r} (from "
            f"{'the caller' if value else '$' + DEPTH_ENV}; allowed: "
            f"{', '.join(DEPTHS)})"
        )
    return depth


def _decode(raw: str, where: str) -> str:
    """A corpus line as the payload: verbatim, or ``esc:`` + Python escapes (NUL, bidi and
    invisible characters stay readable in the file)."""
    if not raw.startswith("esc:"):
        return raw
    try:
        return codecs.decode(raw[4:], "unicode_escape")
    except UnicodeDecodeError as exc:
        raise AttackConfigError(f"{where}: bad escape in payload line: {exc}") from None


def _read(path: Path) -> list[Payload]:
    payloads = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if raw and not raw.startswith("#"):
            payloads.append(Payload(path.stem, number, _decode(raw, f"{path}:{number}")))
    return payloads


@functools.cache
def _vendored(name: str) -> tuple[Payload, ...]:
    return tuple(_read(PAYLOAD_DIR / f"{name}.txt"))


def payloads(name: str, depth: str | None = None) -> list[Payload]:
    """The payloads of corpus ``name`` at ``depth`` (module docstring)."""
    depth = scan_depth(depth)
    vendored = list(_vendored(name))
    if depth == "basic":
        return vendored[:BASIC_LINES]
    if depth == "standard":
        return vendored
    folder = os.environ.get(DEEP_DIR_ENV, "").strip()
    if not folder:
        raise AttackConfigError(
            f"a comprehensive scan reads the full payload lists from "
            f"${DEEP_DIR_ENV}/<corpus>.txt; set {DEEP_DIR_ENV} to that "
            f"folder (corpora: {', '.join(corpus_names())})"
        )
    deep = Path(folder) / f"{name}.txt"
    if not deep.is_file():
        return vendored
    seen = {p.text for p in vendored}
    extra = [Payload(f"{name}+deep", p.line, p.text) for p in _read(deep) if p.text not in seen]
    return vendored + extra


# -- the attack world --------------------------------------------------------------------
@dataclass
class AttackWorld:
    """Victim and canary of one attack run."""

    victim: str
    victim_session: str
    secret: str
    canary: Path
    canary_bytes: bytes
    canary_mtime_ns: int


def plant_canary(base_dir: Path) -> tuple[Path, bytes, int]:
    """A file beside the store root (outside it) that no step may touch."""
    canary = base_dir / CANARY_NAME
    body = f"prism canary {secrets.token_hex(8)}\n".encode()
    canary.write_bytes(body)
    return canary, body, canary.stat().st_mtime_ns


def new_secret() -> str:
    return f"PRISM-VICTIM-SECRET-{secrets.token_hex(8)}"


# -- reads the process may always do ----------------------------------------------------
@functools.cache
def _read_allowed_prefixes() -> tuple[str, ...]:
    """Where a step may read outside its world: the interpreter and installed packages
    (lazy imports), the project's own packages, time zone data and a few /dev, /proc
    entries. Anything else (``/etc/passwd``, the canary) is an escape."""
    import flatfile_chat
    import prism_scenarios

    places = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(os.path.dirname(flatfile_chat.__file__)) + "/flatfile_chat",
        os.path.dirname(prism_scenarios.__file__),
        "/usr/share/zoneinfo",
        "/usr/lib/python3",
        "/usr/local/lib/python3",
        "/etc/localtime",
        "/dev/null",
        "/dev/urandom",
        "/proc",
        "/sys/fs/cgroup",
        "/proc/sys/kernel",
        "/etc/ssl",
        "/usr/lib/ssl",
        "/etc/mime.types",
    }
    places |= {p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p}
    return tuple(sorted(os.path.realpath(p) for p in places))


def reads_outside(reads: list[str], roots: list[str]) -> list[str]:
    allowed = _read_allowed_prefixes()
    bad = write_audit.outside(reads, roots)
    return [
        p
        for p in bad
        if not any(p == a or p.startswith(a + os.sep) or p.startswith(a + ".") for a in allowed)
    ]


# -- the oracle ----------------------------------------------------------------------------
class AttackOracle:
    """Checks one attack run after each step; each problem names its oracle in brackets."""

    def __init__(self, point: AttackPoint, world: AttackWorld) -> None:
        self.point, self.world = point, world

    @property
    def payload(self) -> str:
        return self.point.payload.text

    def canary_problems(self) -> list[str]:
        canary = self.world.canary
        try:
            body, mtime = canary.read_bytes(), canary.stat().st_mtime_ns
        except OSError as exc:
            return [f"[canary] {canary} beside the store root is gone or unreadable: {exc}"]
        problems = []
        if body != self.world.canary_bytes:
            problems.append(
                f"[canary] {canary} beside the store root changed: "
                f"{self.world.canary_bytes!r} -> {body[:80]!r}"
            )
        if mtime != self.world.canary_mtime_ns:
            problems.append(
                f"[canary] {canary} beside the store root was touched (mtime "
                f"{self.world.canary_mtime_ns} -> {mtime})"
            )
        return problems

    def cross_user_problems(self, result: Any) -> list[str]:
        text = (
            result
            if isinstance(result, str)
            else json.dumps(result, default=str, ensure_ascii=False)
        )
        if self.world.secret in text:
            return [
                f"[cross_user] the step's result shows the secret marker of user "
                f"{self.world.victim!r} (another user's data reached the attacker)"
            ]
        return []

    def argv_problems(self, action: str, params: Any, result: Any) -> list[str]:
        """A command tool given the payload as one argument must have run it as one argv
        element (never split, joined or re-quoted). ``tools.execute`` shows argv in
        ``debug_information.argv`` only with ``include_debug_info: true``."""
        if (
            not action.startswith("tools.")
            or not _has_element(params, self.payload)
            or not isinstance(result, dict)
            or result.get("exit_code") is None
        ):
            return []
        argv = (result.get("debug_information") or {}).get("argv")
        if not isinstance(argv, list):
            return [
                "[argv] the command ran but its argv is not in the result; set "
                "include_debug_info: true so the oracle can check it"
            ]
        if self.payload not in argv:
            return [
                f"[argv] payload {self.payload!r} did not reach the tool as one argv "
                f"element: argv={argv!r}"
            ]
        return []

    def outcome_problems(
        self, outcome: str | None, error: BaseException | None, result: Any
    ) -> list[str]:
        if outcome is None:
            return []
        from flatfile_chat.errors import FFError

        refused = isinstance(error, FFError) or (
            error is None
            and isinstance(result, dict)
            and result.get("success") is False
            and bool(result.get("denial_reason"))
        )
        if error is not None and not isinstance(error, FFError):
            return [
                f"[outcome] hostile input raised a raw {type(error).__name__} (not a "
                f"domain error, FFError): {str(error)[:300]}"
            ]
        if outcome == "refused" and not refused:
            return [
                f"[outcome] expected the payload to be refused with a domain error, but "
                f"the step succeeded: {_brief(result)}"
            ]
        if outcome == "verbatim" and refused:
            return [
                f"[outcome] expected the payload to be accepted verbatim, but it was "
                f"refused: {_brief(result)}"
            ]
        return []

    def read_back_problems(self, value: Any) -> list[str]:
        if isinstance(value, str) and value.encode("utf-8", "surrogatepass") == self.payload.encode(
            "utf-8", "surrogatepass"
        ):
            return []
        return [f"[outcome] read back {value!r}, not the payload byte-identical ({self.payload!r})"]


def _has_element(value: Any, text: str) -> bool:
    """Whether ``text`` is one element of a list somewhere in ``value``."""
    if isinstance(value, dict):
        return any(_has_element(v, text) for v in value.values())
    if isinstance(value, list):
        return text in value or any(_has_element(v, text) for v in value)
    return False


def _brief(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 300 else text[:299] + "…"
