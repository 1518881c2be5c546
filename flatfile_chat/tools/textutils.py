"""Text utilities: counts, case, extractive summary, action items, simple grammar fixes.

All rule-based and deterministic, so scenarios can assert exact outputs.
"""

from __future__ import annotations

import re
from typing import Any

from flatfile_chat.errors import ValidationError

OPERATIONS = (
    "word_count",
    "upper",
    "lower",
    "title",
    "summarize",
    "extract_action_items",
    "grammar_check",
)
# A sentence ends at . ! ? followed by whitespace (or the end of the text), so a point inside
# a token (59.97, v1.2) does not end it. A fixed-width lookbehind split: linear time.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
_ACTION_RE = re.compile(
    r"(?i)\b(action item|todo|to-do|task|follow[ -]up|next step)s?\s*:\s*(?P<item>\S.*)$"
)
_WORD_RE = re.compile(r"\b\w+\b", re.UNICODE)


def run(operation: str, text: str, sentences: int = 2) -> dict[str, Any]:
    if operation not in OPERATIONS:
        raise ValidationError(
            f"text_utils: unknown operation {operation!r} (known: {', '.join(OPERATIONS)})",
            key="operation",
        )
    if operation == "word_count":
        return {
            "words": len(_WORD_RE.findall(text)),
            "characters": len(text),
            "lines": len(text.splitlines()),
            "sentences": len(split_sentences(text)),
        }
    if operation in ("upper", "lower", "title"):
        return {"text": getattr(text, operation)()}
    if operation == "summarize":
        return {"summary": summarize(text, sentences)}
    if operation == "extract_action_items":
        return {"action_items": extract_action_items(text)}
    return grammar_check(text)


def split_sentences(text: str) -> list[str]:
    """Sentences in order; fragments that are only punctuation are dropped."""
    return [s for s in _SENTENCE_END_RE.split(" ".join(text.split())) if s.strip(".!? ")]


def summarize(text: str, sentences: int) -> str:
    """The first ``sentences`` sentences (extractive; no model)."""
    return " ".join(split_sentences(text)[: max(1, sentences)])


def extract_action_items(text: str) -> list[dict[str, Any]]:
    """Lines marked "action item:", "todo:", "task:", "follow up:" or "next step:"."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ACTION_RE.search(line)
        if match:
            marker = match.group(1).lower().replace("-", " ")
            items.append({"item": match.group("item").strip(), "marker": marker, "line": number})
    return items


def grammar_check(text: str) -> dict[str, Any]:
    """Fix a few mechanical errors; returns the corrected text and each correction made."""
    corrections: list[dict[str, str]] = []

    def fix(pattern: str, repl: Any, rule: str, source: str) -> str:
        def sub(match: re.Match[str]) -> str:
            new = repl(match) if callable(repl) else match.expand(repl)
            if new != match.group(0):
                corrections.append({"rule": rule, "from": match.group(0), "to": new})
            return new

        return re.sub(pattern, sub, source)

    out = fix(r" {2,}", " ", "double_space", text)
    out = fix(r"\bi\b", "I", "capital_i", out)
    out = fix(r"\b(a) ([aeiouAEIOU]\w*)", r"an \2", "a_an", out)
    out = fix(
        r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), "sentence_capital", out
    )
    out = fix(r"\b(\w+) \1\b", r"\1", "repeated_word", out)
    if out and out.rstrip()[-1:] not in ".!?":
        corrections.append({"rule": "final_punctuation", "from": "", "to": "."})
        out = out.rstrip() + "."
    return {"corrected_text": out, "corrections": corrections}
