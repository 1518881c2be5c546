"""The Gherkin vocabulary as people read it: ``prism-scenarios steps`` and "did you mean".

Step definitions are regular expressions; a sentence is shown with its parameters as
``<name>``, optional words in ``[...]`` and alternatives as ``a|b``, and each parameter with
the values it accepts.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
from dataclasses import dataclass, field
from functools import cache
from re import _constants as sre  # the regex parser's opcodes
from re import _parser as sre_parse
from typing import Any

from pytest_bdd.steps import step_function_context_registry

from prism_scenarios.bdd import step_modules

OWN_PREFIX = "prism_scenarios.bdd."
KINDS = ("given", "when", "then", "step")


@dataclass
class Sentence:
    kinds: tuple[str, ...]  # given, when, then, or step (any)
    pattern: str  # the regular expression (or plain text) as written
    text: str  # readable form
    params: dict[str, str]  # name -> what it accepts
    function: str
    module: str
    doc: str = ""
    parser: Any = field(default=None, repr=False, compare=False)
    docstring: bool = False  # takes a YAML docstring (``with:``)

    def matches(self, kind: str, text: str) -> bool:
        kinds_ok = kind == "step" or bool({kind, "step"} & set(self.kinds))
        return kinds_ok and self.parser.is_matching(text)


def _render(tokens: Any, names: dict[int, str]) -> str:
    out: list[str] = []
    for op, av in tokens:
        if op is sre.LITERAL:
            out.append(chr(av))
        elif op is sre.SUBPATTERN:
            group, _add, _del, inner = av
            out.append(f"<{names[group]}>" if group in names else _render(inner, names))
        elif op is sre.BRANCH:
            alternatives = [_render(alt, names) for alt in av[1]]
            out.append(
                "|".join(alternatives)
                if len(out) == 0 and not tokens[1:]
                else "(" + "|".join(alternatives) + ")"
            )
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, inner = av
            kind = _repeated_kind(inner)
            if kind:
                out.append(f"<{kind}>")
            else:
                body = _render(inner, names)
                out.append(f"[{body}]" if (low, high) == (0, 1) else f"{body}…")
        elif op is sre.AT:
            continue
        elif op is sre.IN and len(av) == 1 and av[0][0] is sre.LITERAL:
            out.append(chr(av[0][1]))
        else:
            out.append("…")
    return "".join(out)


def _repeated_kind(inner: Any) -> str | None:
    """``\\d+`` is a number, ``\\w+`` a word, ``[^"]*`` or ``.+`` text."""
    items = list(inner)
    if len(items) != 1:
        return None
    op, av = items[0]
    if op in (sre.ANY, sre.NOT_LITERAL):
        return "text"
    if op is sre.IN:
        codes = {a for _, a in av}
        if av[0][0] is sre.NEGATE or op is sre.ANY:
            return "text"
        if codes <= {sre.CATEGORY_DIGIT, ord(".")} or all(
            (o is sre.RANGE and a == (48, 57)) or (o is sre.LITERAL and a == ord("."))
            for o, a in av
        ):
            return "number"
        if codes == {sre.CATEGORY_WORD}:
            return "word"
        if sre.CATEGORY_WORD in codes:
            return "name"
    return None


def _accepts(tokens: Any, names: dict[int, str]) -> dict[str, str]:
    """name -> readable description of what the named group matches."""
    found: dict[str, str] = {}

    def walk(items: Any) -> None:
        for op, av in items:
            if op is sre.SUBPATTERN:
                group, _add, _del, inner = av
                if group in names:
                    found[names[group]] = _describe_group(inner, names)
                walk(inner)
            elif op is sre.BRANCH:
                for alt in av[1]:
                    walk(alt)
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
                walk(av[2])

    walk(tokens)
    return found


def _describe_group(inner: Any, names: dict[int, str]) -> str:
    items = list(inner)
    if len(items) == 1 and items[0][0] is sre.BRANCH:
        return "one of: " + ", ".join(_render(alt, names) for alt in items[0][1][1])
    text = _render(inner, names)
    kind = re.fullmatch(r"<(number|word|name|text)>", text)
    return ("a " + kind.group(1) if kind.group(1) != "text" else "text") if kind else text


def readable(pattern: str) -> tuple[str, dict[str, str]]:
    """A sentence pattern as people read it, and its parameters."""
    try:
        compiled = re.compile(pattern)
        tokens = sre_parse.parse(pattern)
    except re.error:
        return pattern, {}
    names = {number: name for name, number in compiled.groupindex.items()}
    text = _render(tokens, names)
    return text, _accepts(tokens, names)


@cache
def sentences() -> list[Sentence]:
    """Every sentence of the built-in vocabulary, in definition order."""
    for module in step_modules():
        importlib.import_module(module)
    found: dict[tuple[str, str], Sentence] = {}
    for context in list(step_function_context_registry.values()):
        func = context.step_func
        if not func.__module__.startswith(OWN_PREFIX):
            continue
        raw = getattr(context.parser, "name", "")
        pattern = str(getattr(raw, "pattern", raw))
        is_regex = type(context.parser).__name__ == "re"
        text, params = readable(pattern) if is_regex else (pattern, {})
        kind = context.type or "step"
        same = found.get((pattern, func.__qualname__))
        if same is not None:  # one function under @given and @when: one sentence
            same.kinds = tuple(sorted({*same.kinds, kind}, key=KINDS.index))
            continue
        signature = inspect.signature(func).parameters
        found[pattern, func.__qualname__] = Sentence(
            kinds=(kind,),
            pattern=pattern,
            text=text,
            params=params,
            function=func.__name__,
            module=func.__module__.removeprefix(OWN_PREFIX),
            doc=inspect.cleandoc(func.__doc__ or "").split("\n\n")[0].replace("\n", " "),
            parser=context.parser,
            docstring="docstring" in signature,
        )
    order = {name: i for i, name in enumerate(step_modules())}
    return sorted(
        found.values(),
        key=lambda s: (order.get(OWN_PREFIX + s.module, 99), inspect.getsourcelines(_func(s))[1]),
    )


def _func(sentence: Sentence) -> Any:
    return getattr(importlib.import_module(OWN_PREFIX + sentence.module), sentence.function)


_QUOTED = re.compile(r'"[^"]*"')
_PLACEHOLDER = re.compile(r"<\w+>")


def _shape(text: str) -> str:
    text = _QUOTED.sub('"_"', text)
    text = _PLACEHOLDER.sub("_", text)
    return re.sub(r"\d+(?:\.\d+)?", "_", text).lower()


def did_you_mean(kind: str, text: str, limit: int = 3) -> list[Sentence]:
    """The closest sentences to a step no definition matches (same keyword first)."""
    shape = _shape(text)
    scored = []
    for sentence in sentences():
        ratio = difflib.SequenceMatcher(None, shape, _shape(sentence.text)).ratio()
        if not {kind, "step"} & set(sentence.kinds):
            ratio -= 0.1
        scored.append((ratio, sentence))
    scored.sort(key=lambda pair: -pair[0])
    floor = max(0.55, scored[0][0] - 0.1) if scored else 1.0  # near the best only
    return [s for ratio, s in scored[:limit] if ratio >= floor]


def describe(sentence: Sentence) -> list[str]:
    keyword = "/".join(k.capitalize() if k != "step" else "*" for k in sentence.kinds)
    lines = [f"{keyword} {sentence.text}" + ("  (+ YAML docstring)" if sentence.docstring else "")]
    for name, accepts in sentence.params.items():
        lines.append(f"    {name}: {accepts}")
    if sentence.doc:
        lines.append(f"    {sentence.doc}")
    return lines


def catalog_text(grep: str | None = None) -> str:
    lines: list[str] = []
    module = None
    for sentence in sentences():
        if grep and grep.lower() not in (sentence.text + " " + sentence.doc).lower():
            continue
        if sentence.module != module:
            module = sentence.module
            lines += ["", f"# {module}"] if lines else [f"# {module}"]
        lines += describe(sentence)
    return "\n".join(lines)
