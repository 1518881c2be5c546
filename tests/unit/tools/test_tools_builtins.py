"""Built-in tools do real, deterministic work and persist what they should."""

from __future__ import annotations

from typing import Any

import pytest

from flatfile_chat.errors import ValidationError
from flatfile_chat.tools import textutils, units


@pytest.fixture
def t(tools: Any) -> Any:
    tools.set_policy(cooldown_seconds=0)
    return tools


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1, "km", "m", 1000.0),
        (5, "mi", "km", 8.04672),
        (100, "C", "F", 212.0),
        (32, "F", "C", 0.0),
        (0, "K", "C", -273.15),
        (1, "GiB", "MB", 1073.741824),
        (90, "min", "h", 1.5),
        (1, "lb", "g", 453.59237),
    ],
)
def test_unit_conversions(value: float, source: str, target: str, expected: float) -> None:
    assert units.convert(value, source, target) == expected


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("km", "kg", "cannot convert length"),
        ("parsec", "m", "unknown unit 'parsec'"),
    ],
)
def test_unit_refusals(source: str, target: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        units.convert(1, source, target)


def test_below_absolute_zero() -> None:
    with pytest.raises(ValidationError, match="below absolute zero"):
        units.convert(-300, "C", "K")


def test_translation_uses_the_pinned_language_list(t: Any) -> None:
    ok = t.execute("translation", {"text": "Thank you, friend!", "target_language": "fr"})
    assert ok.success
    assert ok.result_data["translated_text"] == "merci ami"
    back = t.execute(
        "translation", {"text": "gracias", "source_language": "es", "target_language": "de"}
    )
    assert back.result_data["translated_text"] == "danke"
    jp = t.execute("translation", {"text": "good morning", "target_language": "ja"})
    assert jp.result_data["translated_text"] == "おはようございます"
    unknown = t.execute("translation", {"text": "hello zorblax", "target_language": "es"})
    assert unknown.result_data == {
        "source_text": "hello zorblax",
        "translated_text": "hola zorblax",
        "source_language": "en",
        "target_language": "es",
        "untranslated_words": ["zorblax"],
    }
    line = t.history()[0]
    assert (line["tool_id"], line["success"], line["execution_mode"]) == (
        "translation",
        True,
        "sandbox",
    )


def test_unsupported_language_is_a_validation_error(t: Any) -> None:
    # ru is in upstream's ff_tools_config list but not in our pinned default list
    result = t.execute("translation", {"text": "hello", "target_language": "ru"})
    assert result.success is False
    assert result.error_type == "validation_error"
    assert result.error_message == (
        "Unsupported target language 'ru' (supported: en, es, fr, de, it, pt, zh, ja)"
    )
    line = t.history()[-1]
    assert (line["success"], line["error_type"]) == (False, "validation_error")


def test_language_list_comes_from_config(make_tools: Any) -> None:
    tools = make_tools({"translation_languages": ["en", "ru"]})
    assert (
        tools.execute("translation", {"text": "yes", "target_language": "ru"}).result_data[
            "translated_text"
        ]
        == "да"
    )
    tools.clock.advance(seconds=1)
    assert (
        tools.execute("translation", {"text": "yes", "target_language": "es"}).error_type
        == "validation_error"
    )


def test_text_utilities() -> None:
    text = (
        "Kickoff went well. We agreed on scope!  Budget is open?\n"
        "Action item: send the deck to Ana\n"
        "TODO: book the room\n"
        "random line\n"
        "Follow-up: check the invoice\n"
        "next step: draft the plan\n"
        "task: review PR 12\n"
    )
    assert textutils.run("word_count", "one two  three\nfour")["words"] == 4
    assert textutils.summarize(text, 2) == "Kickoff went well. We agreed on scope!"
    # a point inside a number or a version does not end a sentence
    assert (
        textutils.summarize("Order 3 kg for 59.97. Tell v1.2 users. Archive.", 2)
        == "Order 3 kg for 59.97. Tell v1.2 users."
    )
    assert textutils.split_sentences("Wait... what?! Yes.") == ["Wait...", "what?!", "Yes."]
    assert textutils.run("word_count", "It costs 2.50. Pay now.")["sentences"] == 2
    assert textutils.split_sentences("... !? ") == []
    assert textutils.split_sentences("a" + "." * 100_000 + " b") == ["a" + "." * 100_000, "b"]
    items = textutils.extract_action_items(text)
    assert [(i["item"], i["line"]) for i in items] == [
        ("send the deck to Ana", 2),
        ("book the room", 3),
        ("check the invoice", 5),
        ("draft the plan", 6),
        ("review PR 12", 7),
    ]
    fixed = textutils.grammar_check("i saw a apple  yesterday")
    assert fixed["corrected_text"] == "I saw an apple yesterday."
    assert [c["rule"] for c in fixed["corrections"]] == [
        "double_space",
        "capital_i",
        "a_an",
        "final_punctuation",
    ]


def test_calendar_and_tasks_persist_for_a_fresh_manager(make_tools: Any) -> None:
    tools = make_tools(categories=["computation", "database"])
    tools.set_policy(cooldown_seconds=0)
    added = tools.execute(
        "calendar",
        {"action": "add_event", "title": "Dentist", "start": "2026-01-05T10:00:00+00:00"},
    )
    assert added.success, added.error_message
    tools.execute(
        "calendar",
        {"action": "add_event", "title": "Standup", "start": "2026-01-02T09:00:00+00:00"},
    )
    task = tools.execute("tasks", {"action": "add_task", "title": "Pay rent"})
    task_id = task.result_data["task"]["task_id"]
    assert tools.execute("tasks", {"action": "complete_task", "task_id": task_id}).success

    fresh = make_tools(categories=["computation", "database"])  # same root, new managers
    events = fresh.execute("calendar", {"action": "list_events"}).result_data["events"]
    assert [e["title"] for e in events] == ["Standup", "Dentist"]
    tasks = fresh.execute("tasks", {"action": "list_tasks", "status_filter": "done"})
    assert [x["title"] for x in tasks.result_data["tasks"]] == ["Pay rent"]
    missing = fresh.execute("tasks", {"action": "delete_task", "task_id": "task_nope"})
    assert missing.error_type == "builtin_execution_error"
    assert [line["tool_id"] for line in fresh.history()] == [
        "calendar",
        "calendar",
        "tasks",
        "tasks",
        "calendar",
        "tasks",
        "tasks",
    ]


def test_calendar_validation(t: Any) -> None:
    result = t.execute("calendar", {"action": "add_event", "title": "x"})
    assert result.error_message == "Required parameter 'start' missing"
    result = t.execute("calendar", {"action": "add_event", "title": "x", "start": "soon"})
    assert result.error_message == "start 'soon' is not an ISO 8601 timestamp"


def test_read_only_mode_refuses_side_effects(t: Any) -> None:
    result = t.execute("tasks", {"action": "add_task", "title": "x"}, execution_mode="read_only")
    assert result.error_message == (
        "Tool tasks would change data, which read_only mode does not allow"
    )
    assert t.execute("tasks", {"action": "list_tasks"}, execution_mode="read_only").success
    assert not t.tools_file("data", "tasks.json").exists()


def test_notification_goes_to_the_outbox_only(t: Any) -> None:
    result = t.execute("notification", {"recipient": "oncall", "message": "disk full"})
    assert result.success
    outbox = t.store.fs.read_jsonl(t.tools_file("data", "outbox.jsonl"))
    assert [(m["recipient"], m["message"]) for m in outbox] == [("oncall", "disk full")]
