"""The Gherkin vocabulary as people read it (prism_scenarios.step_catalog): a sentence's
readable form and parameters, the built-in sentences, "did you mean", and the catalog text."""

from __future__ import annotations

import pytest

from prism_scenarios import step_catalog
from prism_scenarios.step_catalog import Sentence, describe, readable


@pytest.mark.parametrize(
    "pattern, text, params",
    [
        (r"a user (?P<user>\w+) exists", "a user <user> exists", {"user": "a word"}),
        (r"(?P<n>\d+) messages?", "<n> message[s]", {"n": "a number"}),
        (r"(?P<v>[0-9.]+) s", "<v> s", {"v": "a number"}),
        (r"(?P<v>[.0-9]+)", "<v>", {"v": "a number"}),
        # a letter range is no number (shown as it is: a character class, repeated)
        (r"(?P<h>[0-9a-f]+)", "<h>", {"h": "……"}),
        (r"(?P<k>[a-z]+) x", "<k> x", {"k": "……"}),
        (
            r"(?P<n>\d+(?:\.\d+)?) hours pass",
            "<n> hours pass",
            {"n": "<number>[.<number>]"},
        ),
        (
            r"the (?P<kind>memory|panel) is (?:ready|done)",
            "the <kind> is (ready|done)",
            {"kind": "one of: memory, panel"},
        ),
        (r'say "(?P<text>[^"]*)"', 'say "<text>"', {"text": "text"}),
        (r"(?P<x>.+)", "<x>", {"x": "text"}),
        (r"(?P<x>.*?)!", "<x>!", {"x": "text"}),
        (r"^start (?P<who>[\w-]+)$", "start <who>", {"who": "a name"}),
        (r"yes|no", "yes|no", {}),
        (r"x(?:yz)+", "xyz…", {}),
        (r"a{2,3}", "a…", {}),
        (r"([.])", ".", {}),
        (r"\s+x", "……x", {}),
        (r"(?P<w>\w+|\d+)", "<w>", {"w": "one of: <word>, <number>"}),
        (r"(?:(?P<a>\d+) )?go", "[<a> ]go", {"a": "a number"}),
        (r"(?P<outer>in (?P<inner>\w+))", "<outer>", {"outer": "in <inner>", "inner": "a word"}),
        (r"(?:(?P<p>\w+)|(?P<q>\d+)) end", "(<p>|<q>) end", {"p": "a word", "q": "a number"}),
        ("plain text, no groups", "plain text, no groups", {}),
        ("unbalanced(", "unbalanced(", {}),
    ],
)
def test_readable_form_of_a_pattern(pattern: str, text: str, params: dict[str, str]) -> None:
    assert readable(pattern) == (text, params)


def test_readable_keeps_the_order_of_the_parameters() -> None:
    _, params = readable(r"(?P<b>\d+) then (?P<a>\w+)")
    assert list(params) == ["b", "a"]


def test_the_built_in_sentences() -> None:
    found = step_catalog.sentences()
    assert found is step_catalog.sentences()  # built once
    modules = [s.module for s in found]
    assert modules[0] == "steps"
    # grouped by module in step_modules() order
    order = [m.removeprefix(step_catalog.OWN_PREFIX) for m in step_catalog.step_modules()]
    assert [m for i, m in enumerate(modules) if i == 0 or modules[i - 1] != m] == [
        m for m in order if m in modules
    ]
    call = next(s for s in found if s.function == "call_with")
    assert call.kinds == ("given", "when")  # one function, two keywords: one sentence
    assert call.text == 'I call "<name>" with:'
    assert call.params == {"name": "a name"}
    assert call.docstring is True
    assert call.module == "steps"
    off = next(s for s in found if s.function == "invariant_off")
    assert off.doc.startswith("Gherkin's ``invariants: {name: false}``: one invariant off")
    assert "\n" not in off.doc and off.docstring is False
    analytics = next(s for s in found if s.text == "the analytics system is initialised")
    assert analytics.kinds == ("given",) and analytics.params == {}
    assert all(not s.module.startswith("prism_scenarios") for s in found)


def test_a_sentence_matches_its_own_keyword_and_any_for_step() -> None:
    given = next(s for s in step_catalog.sentences() if s.function == "invariant_off")
    text = 'the "quota" invariant is off because we test it'
    assert given.matches("given", text)
    assert given.matches("step", text)
    assert not given.matches("when", text)
    assert not given.matches("given", 'the "quota" invariant is off because ')
    anykind = Sentence(("step",), "x", "x", {}, "f", "m", parser=given.parser)
    assert anykind.matches("then", text)


def test_shape_hides_quoted_text_numbers_and_placeholders() -> None:
    assert step_catalog._shape('Given "Alice" has 3 messages, <n> and 2.5 HOURS') == (
        'given "_" has _ messages, _ and _ hours'
    )


def _fake(text: str, *kinds: str, doc: str = "", module: str = "m") -> Sentence:
    return Sentence(tuple(kinds), text, text, {}, "f", module, doc=doc)


def test_did_you_mean_prefers_the_same_keyword_and_keeps_near_the_best(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a_given = _fake("the memory holds <n> entries", "given")
    a_then = _fake("the memory holds <n> entries", "then")
    a_step = _fake("the memory holds <n> entry", "step")
    far = _fake("an unrelated sentence about tools", "then")
    monkeypatch.setattr(step_catalog, "sentences", lambda: [far, a_given, a_then, a_step])
    assert step_catalog.did_you_mean("then", "the memory holds 3 entries") == [
        a_then,
        a_step,
        a_given,
    ]
    assert step_catalog.did_you_mean("given", "the memory holds 3 entries", limit=1) == [a_given]
    assert step_catalog.did_you_mean("when", "zzz qqq") == []


def test_did_you_mean_drops_what_is_far_from_the_best(monkeypatch: pytest.MonkeyPatch) -> None:
    best = _fake("the panel session has <n> messages", "then")
    other_keyword = _fake("the panel session has <n> messages", "given")  # 0.1 lower: kept
    weaker = _fake("the panel session has <n> members now", "then")
    monkeypatch.setattr(step_catalog, "sentences", lambda: [weaker, other_keyword, best])
    found = step_catalog.did_you_mean("then", "the panel session has 4 messages")
    assert found[:2] == [best, other_keyword]
    assert weaker not in found
    monkeypatch.setattr(step_catalog, "sentences", lambda: [])
    assert step_catalog.did_you_mean("then", "anything") == []


def test_describe_a_sentence() -> None:
    sentence = Sentence(
        ("given", "when", "step"),
        "p",
        "a <user> sends <n>",
        {"user": "a word", "n": "a number"},
        "f",
        "m",
        doc="Sends things.",
        docstring=True,
    )
    assert describe(sentence) == [
        "Given/When/* a <user> sends <n>  (+ YAML docstring)",
        "    user: a word",
        "    n: a number",
        "    Sends things.",
    ]
    assert describe(_fake("plain", "then")) == ["Then plain"]


def test_the_catalog_text_groups_by_module_and_greps_text_and_doc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = _fake("a user exists", "given", module="steps")
    two = _fake("the clock moves", "when", module="steps", doc="Moves TIME.")
    three = _fake("a document", "given", module="knowledge")
    four = _fake("time passes", "when", module="knowledge")
    monkeypatch.setattr(step_catalog, "sentences", lambda: [one, two, three, four])
    assert step_catalog.catalog_text() == "\n".join(
        [
            "# steps",
            "Given a user exists",
            "When the clock moves",
            "    Moves TIME.",
            "",
            "# knowledge",
            "Given a document",
            "When time passes",
        ]
    )
    assert step_catalog.catalog_text("time") == "\n".join(
        [
            "# steps",
            "When the clock moves",
            "    Moves TIME.",
            "",
            "# knowledge",
            "When time passes",
        ]
    )
    assert step_catalog.catalog_text("DOCUMENT") == "# knowledge\nGiven a document"
    assert step_catalog.catalog_text("nothing like it") == ""


def test_the_real_catalog_names_every_module_once() -> None:
    text = step_catalog.catalog_text()
    headers = [line for line in text.splitlines() if line.startswith("# ")]
    assert len(headers) == len(set(headers))
    assert headers[0] == "# steps"
    assert text.splitlines()[0] == "# steps"
    assert "# knowledge" in headers
