"""Attack mode's pieces called directly (prism_scenarios.attack): scan depths, corpus lines,
the payloads per depth, the canary and secret, allowed reads, and every oracle's message."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from flatfile_chat.errors import NotFound
from prism_scenarios import attack
from prism_scenarios.attack import AttackOracle, AttackPoint, AttackWorld, Payload


# -- depth and corpora ------------------------------------------------------------------------
def test_scan_depth_from_the_caller_the_environment_or_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(attack.DEPTH_ENV, raising=False)
    assert attack.scan_depth() == "standard"
    assert attack.scan_depth("basic") == "basic"
    monkeypatch.setenv(attack.DEPTH_ENV, " comprehensive ")
    assert attack.scan_depth() == "comprehensive"
    assert attack.scan_depth("basic") == "basic"  # the caller wins
    monkeypatch.setenv(attack.DEPTH_ENV, "")
    assert attack.scan_depth() == "standard"


def test_an_unknown_depth_says_where_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(attack.DEPTH_ENV, "deep")
    with pytest.raises(attack.AttackConfigError) as caught:
        attack.scan_depth()
    assert str(caught.value) == (
        "unknown security scan depth 'deep' (from $PRISM_SCAN_DEPTH; allowed: basic, "
        "standard, comprehensive)"
    )
    with pytest.raises(attack.AttackConfigError) as caught:
        attack.scan_depth("full")
    assert str(caught.value) == (
        "unknown security scan depth 'full' (from the caller; allowed: basic, standard, "
        "comprehensive)"
    )
    assert isinstance(caught.value, ValueError)


def test_corpus_names_are_the_vendored_files_sorted() -> None:
    assert attack.corpus_names() == [
        "command_injection",
        "nosql_injection",
        "path_traversal",
        "prompt_injection",
        "sql_injection",
        "unicode_confusables",
        "xss",
    ]


def test_corpus_lines_skip_comments_and_blanks_and_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text("# comment\n\n plain \nesc:a\\x00b\\u202e\n#not\nlast", encoding="utf-8")
    assert attack._read(path) == [
        Payload("mine", 3, " plain "),
        Payload("mine", 4, "a\x00b\u202e"),
        Payload("mine", 6, "last"),
    ]
    assert Payload("mine", 4, "x").id == "mine-4"


def test_a_bad_escape_names_the_file_and_line(tmp_path: Path) -> None:
    assert attack._decode("esc-like but not", "w") == "esc-like but not"
    with pytest.raises(attack.AttackConfigError) as caught:
        attack._decode("esc:bad \\x4", "f.txt:7")
    assert str(caught.value).startswith("f.txt:7: bad escape in payload line: ")


def test_payloads_per_depth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vendored = list(attack._vendored("xss"))
    assert len(vendored) > attack.BASIC_LINES == 5
    assert attack.payloads("xss", "basic") == vendored[:5]
    assert attack.payloads("xss", "standard") == vendored
    monkeypatch.setenv(attack.DEEP_DIR_ENV, str(tmp_path))
    assert attack.payloads("xss", "comprehensive") == vendored  # no deep file for it
    (tmp_path / "xss.txt").write_text(f"{vendored[0].text}\n# c\nnew one\n")
    assert attack.payloads("xss", "comprehensive") == [*vendored, Payload("xss+deep", 3, "new one")]


def test_a_comprehensive_scan_without_the_folder_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(attack.DEEP_DIR_ENV, "  ")
    with pytest.raises(attack.AttackConfigError) as caught:
        attack.payloads("xss", "comprehensive")
    assert str(caught.value) == (
        "a comprehensive scan reads the full payload lists from $PRISM_PAYLOADS_DIR/<corpus>.txt;"
        " set PRISM_PAYLOADS_DIR to that folder (corpora: " + ", ".join(attack.corpus_names()) + ")"
    )


# -- canary and secret ------------------------------------------------------------------------
def test_the_canary_is_planted_beside_the_store(tmp_path: Path) -> None:
    canary, body, mtime = attack.plant_canary(tmp_path)
    assert canary == tmp_path / "canary.txt"
    assert canary.read_bytes() == body
    assert body.startswith(b"prism canary ") and body.endswith(b"\n") and len(body) == 30
    assert mtime == canary.stat().st_mtime_ns
    assert attack.plant_canary(tmp_path)[1] != body  # a fresh one each time


def test_a_secret_is_recognisable_and_fresh() -> None:
    secret = attack.new_secret()
    assert secret.startswith("PRISM-VICTIM-SECRET-") and len(secret) == 36
    assert attack.new_secret() != secret


# -- allowed reads ----------------------------------------------------------------------------
def test_reads_of_the_interpreter_packages_and_system_data_are_allowed(tmp_path: Path) -> None:
    allowed = attack._read_allowed_prefixes()
    assert allowed == tuple(sorted(allowed))
    assert os.path.realpath(sys.prefix) in allowed
    assert "/proc" in allowed and "/etc/ssl" in allowed
    root = str(tmp_path / "root")
    reads = [
        os.path.join(sys.prefix, "lib", "x.py"),
        "/proc/self/status",
        "/etc/passwd",
        str(tmp_path / "root" / "inside.json"),
        str(tmp_path / "canary.txt"),
        "/etc/mime.types",
        "/etc/mime.types.bak",  # a sibling file sharing the allowed name's stem
        "/etc/mime.typesx",
    ]
    assert attack.reads_outside(reads, [root]) == sorted(
        ["/etc/passwd", str(tmp_path / "canary.txt"), "/etc/mime.typesx"]
    )


# -- oracles ----------------------------------------------------------------------------------
def _oracle(tmp_path: Path, payload: str = "a b") -> AttackOracle:
    canary, body, mtime = attack.plant_canary(tmp_path)
    world = AttackWorld("victim", "s1", "SECRET-1", canary, body, mtime)
    return AttackOracle(AttackPoint("payload", Payload("c", 1, payload)), world)


def test_the_canary_oracle(tmp_path: Path) -> None:
    oracle = _oracle(tmp_path)
    canary = oracle.world.canary
    assert oracle.canary_problems() == []
    before = oracle.world.canary_bytes
    canary.write_bytes(b"changed")
    os.utime(canary, ns=(1, 1))
    assert oracle.canary_problems() == [
        f"[canary] {canary} beside the store root changed: {before!r} -> b'changed'",
        f"[canary] {canary} beside the store root was touched (mtime "
        f"{oracle.world.canary_mtime_ns} -> 1)",
    ]
    canary.write_bytes(before)
    os.utime(canary, ns=(oracle.world.canary_mtime_ns, oracle.world.canary_mtime_ns))
    assert oracle.canary_problems() == []
    canary.write_bytes(b"x" * 100)
    os.utime(canary, ns=(oracle.world.canary_mtime_ns, oracle.world.canary_mtime_ns))
    assert oracle.canary_problems() == [
        f"[canary] {canary} beside the store root changed: {before!r} -> {b'x' * 80!r}"
    ]
    canary.unlink()
    [gone] = oracle.canary_problems()
    assert gone.startswith(f"[canary] {canary} beside the store root is gone or unreadable: ")


def test_the_cross_user_oracle(tmp_path: Path) -> None:
    oracle = _oracle(tmp_path)
    problem = [
        "[cross_user] the step's result shows the secret marker of user 'victim' (another "
        "user's data reached the attacker)"
    ]
    assert oracle.cross_user_problems("... SECRET-1 ...") == problem
    assert oracle.cross_user_problems({"messages": [{"text": "x SECRET-1"}]}) == problem
    assert oracle.cross_user_problems({"path": Path("/SECRET-1")}) == problem  # default=str
    assert oracle.cross_user_problems({"text": "SECRET-2"}) == []
    assert oracle.cross_user_problems(None) == []


def test_the_argv_oracle(tmp_path: Path) -> None:
    oracle = _oracle(tmp_path, "a b")
    params = {"tool": "echo", "args": ["a b"]}
    good = {"exit_code": 0, "debug_information": {"argv": ["echo", "a b"]}}
    assert oracle.argv_problems("tools.execute", params, good) == []
    split = {"exit_code": 0, "debug_information": {"argv": ["echo", "a", "b"]}}
    assert oracle.argv_problems("tools.execute", params, split) == [
        "[argv] payload 'a b' did not reach the tool as one argv element: argv=['echo', 'a', 'b']"
    ]
    hidden = [
        "[argv] the command ran but its argv is not in the result; set "
        "include_debug_info: true so the oracle can check it"
    ]
    assert oracle.argv_problems("tools.execute", params, {"exit_code": 1}) == hidden
    assert (
        oracle.argv_problems("tools.execute", params, {"exit_code": 0, "debug_information": None})
        == hidden
    )
    # not a tool, the payload not one argument, no result, or the command never ran
    assert oracle.argv_problems("memory.add", params, split) == []
    assert oracle.argv_problems("tools.execute", {"args": ["a", "b"]}, split) == []
    assert oracle.argv_problems("tools.execute", {"cmd": "a b"}, split) == []
    assert oracle.argv_problems("tools.execute", params, "text") == []
    assert oracle.argv_problems("tools.execute", params, {"exit_code": None}) == []
    nested = {"spec": {"steps": [{"args": ["x", "a b"]}]}}
    assert oracle.argv_problems("tools.run", nested, split) != []


def test_has_element_looks_through_dicts_and_lists() -> None:
    assert attack._has_element({"a": [1, ["x"]]}, "x")
    assert attack._has_element([{"k": ["x"]}], "x")
    assert not attack._has_element({"a": "x"}, "x")
    assert not attack._has_element("x", "x")
    assert not attack._has_element({"a": [["y"]]}, "x")


def test_the_outcome_oracle(tmp_path: Path) -> None:
    oracle = _oracle(tmp_path)
    domain = NotFound("no such thing", key="k")
    denied = {"success": False, "denial_reason": "not allowed"}
    accepted = {"success": True, "text": "a b"}
    assert oracle.outcome_problems(None, KeyError("x"), None) == []  # nothing declared
    assert oracle.outcome_problems("refused", domain, None) == []
    assert oracle.outcome_problems("refused", None, denied) == []
    assert oracle.outcome_problems("refused", None, accepted) == [
        "[outcome] expected the payload to be refused with a domain error, but the step "
        'succeeded: {"success": true, "text": "a b"}'
    ]
    assert oracle.outcome_problems("refused", None, {"success": False, "denial_reason": ""}) != []
    assert oracle.outcome_problems("refused", None, {"denial_reason": "x"}) != []
    assert oracle.outcome_problems("refused", None, [False]) != []
    assert oracle.outcome_problems("verbatim", None, accepted) == []
    assert oracle.outcome_problems("verbatim", domain, None) == [
        "[outcome] expected the payload to be accepted verbatim, but it was refused: null"
    ]
    assert oracle.outcome_problems("verbatim", None, denied) == [
        "[outcome] expected the payload to be accepted verbatim, but it was refused: "
        '{"success": false, "denial_reason": "not allowed"}'
    ]
    assert oracle.outcome_problems("refused_or_verbatim", None, accepted) == []
    assert oracle.outcome_problems("refused_or_verbatim", domain, None) == []
    raw = KeyError("k" * 400)
    assert oracle.outcome_problems("refused_or_verbatim", raw, None) == [
        "[outcome] hostile input raised a raw KeyError (not a domain error, FFError): "
        + str(raw)[:300]
    ]


def test_the_read_back_oracle(tmp_path: Path) -> None:
    oracle = _oracle(tmp_path, "a\udc80b")  # a lone surrogate must compare too
    assert oracle.payload == "a\udc80b"
    assert oracle.read_back_problems("a\udc80b") == []
    assert oracle.read_back_problems("ab") == [
        "[outcome] read back 'ab', not the payload byte-identical ('a\\udc80b')"
    ]
    assert oracle.read_back_problems(None) == [
        "[outcome] read back None, not the payload byte-identical ('a\\udc80b')"
    ]


def test_brief_clips_long_results() -> None:
    assert attack._brief({"a": "é"}) == '{"a": "é"}'
    assert attack._brief(Path("/x")) == '"/x"'
    long = "x" * 400
    text = attack._brief(long)
    assert text == json.dumps(long)[:299] + "…" and len(text) == 300
    exact = "y" * 298  # 300 characters with its quotes: not clipped
    assert attack._brief(exact) == json.dumps(exact)
