"""The action catalog: ``prism-scenarios actions`` (text) and ``--markdown`` (docs/actions.md).

Each action shows its parameters and what it returns: the output model from its return
annotation (:mod:`prism_scenarios.actions.outputs`), with the fields expectations can name.
``--component`` takes the names users see: a component, an action prefix (``memory``,
``kb``...) or an alias; :func:`resolve_component` maps them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic.fields import FieldInfo

from prism_scenarios.actions import outputs
from prism_scenarios.actions.registry import COMPONENTS, Action, load_actions

# Words people use for a component that are neither its name nor an action prefix.
ALIASES = {
    "knowledge": "knowledge_base",
    "tool": "tool_execution",
    "document": "documents",
    "metrics": "analytics",
    "scenario": "runner",
}


# -- --component names ------------------------------------------------------------------
def prefix_components() -> dict[str, str]:
    """Action prefix -> the component most of its actions belong to (``tools`` ->
    tool_execution, though ``tools.hash`` is a runner check), from the registry."""
    counts: dict[str, Counter[str]] = {}
    for action in load_actions():
        counts.setdefault(action.name.split(".")[0], Counter())[action.component] += 1
    return {
        prefix: min(c, key=lambda name: (-c[name], name)) for prefix, c in sorted(counts.items())
    }


def resolve_component(name: str) -> str:
    """The stored component a ``--component`` name means: a component (``memory_layer``), an
    action prefix (``memory``) or an alias (``knowledge``); case and ``-`` do not matter.
    Raises ValueError listing the accepted names."""
    key = name.strip().lower().replace("-", "_")
    prefixes = prefix_components()
    if key in COMPONENTS:
        return key
    if key in prefixes:
        return prefixes[key]
    if key in ALIASES:
        return ALIASES[key]
    raise ValueError(
        f"unknown component {name!r}; use a component ({', '.join(COMPONENTS)}),"
        f" an action prefix ({', '.join(prefixes)}) or an alias "
        f"({', '.join(sorted(ALIASES))})"
    )


# -- parameters -------------------------------------------------------------------------
def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return f"default {field.default_factory()!r}"  # type: ignore[call-arg]
    return f"default {field.default!r}"


def _params(action: Action) -> list[tuple[str, str, str, str]]:
    return [
        (name, outputs.type_name(f.annotation), _default(f), f.description or "")
        for name, f in action.params.model_fields.items()
    ]


# -- outputs ----------------------------------------------------------------------------
def _returns_head(output: Any, code: str = "") -> str:
    """``list[FFSessionDTO]``, with what its free-form or described parts are."""
    if output is Any:
        return f"{code}Any{code} (not declared)"
    name = outputs.type_name(output)
    head = f"{code}{name}{code}"
    if name == "JSONValue":
        head += " (any JSON value)"
    elif "JSONValue" in name:
        head += " (JSONValue = any JSON value)"
    said = outputs.notes(output)
    return head + (f": {'; '.join(said)}" if said else "")


def _field_note(field: outputs.OutputField) -> str:
    parts = ([] if field.always else ["not always present"]) + (
        [field.description] if field.description else []
    )
    return "; ".join(parts)


def _returns_text(output: Any) -> list[str]:
    lines = [f"    returns: {_returns_head(output)}"]
    model = outputs.principal_model(output)
    if model is None:
        return lines
    for field in outputs.fields(model):
        note = _field_note(field)
        lines.append(
            f"        {field.name}: {outputs.type_name(field.type)}"
            + (f" - {note}" if note else "")
        )
    if outputs.keeps_extra_keys(model):
        lines.append("        ... and any other keys the record carries")
    for variant in outputs.variants(output):
        added = ", ".join(
            f"{f.name}: {outputs.type_name(f.type)}" for f in outputs.added_fields(variant, model)
        )
        lines.append(f"        or {variant.__name__}: the same plus {added}")
    nested = outputs.nested_models(output)
    if nested:
        lines.append(
            f"    nested: {', '.join(m.__name__ for m in nested)} (their fields: --markdown)"
        )
    return lines


def select(component: str | None = None) -> list[Action]:
    """The actions ``--component`` names: a component name (or alias) selects that
    component's actions; an action prefix such as ``kb`` exactly the actions named ``kb.*``.
    ValueError for a name :func:`resolve_component` does not accept."""
    actions = list(load_actions())
    if not component:
        return actions
    wanted = resolve_component(component)
    prefix = component.strip().lower()
    if prefix in prefix_components() and prefix not in COMPONENTS:
        return [a for a in actions if a.name.split(".")[0] == prefix]
    return [a for a in actions if wanted in a.components]


def catalog_text(component: str | None = None) -> str:
    """Every action (or those :func:`select` picks) with parameters and output."""
    lines = []
    for action in select(component):
        lines.append(f"{action.name}  [{action.component}]")
        lines.append("    " + action.description.replace("\n", "\n    "))
        for name, kind, default, description in _params(action):
            suffix = f" - {description}" if description else ""
            lines.append(f"    - {name}: {kind} ({default}){suffix}")
        lines += _returns_text(action.output)
        lines.append("")
    return "\n".join(lines).rstrip()


# -- markdown ---------------------------------------------------------------------------
def _cell(text: str) -> str:
    """Table cell text: a ``|`` would end the cell, even inside backticks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _model_names(actions: list[Action]) -> dict[type, str]:
    """The name each nested model is listed under (qualified only if two share a name)."""
    models: list[type] = []
    for action in actions:
        models += [m for m in outputs.nested_models(action.output) if m not in models]
    short = Counter(m.__name__ for m in models)
    return {
        m: m.__name__ if short[m.__name__] == 1 else f"{m.__module__}.{m.__name__}" for m in models
    }


def _anchor(name: str) -> str:
    """GitHub's anchor for a ``### `name``` heading."""
    return "".join(c for c in name.lower() if c.isalnum() or c in "-_")


def _fields_table(model: type) -> list[str]:
    rows = [
        f"| `{f.name}` | `{_cell(outputs.type_name(f.type))}` | {_cell(_field_note(f))} |"
        for f in outputs.fields(model)
    ]
    lines = ["| field | type | description |", "|---|---|---|", *rows, ""]
    if outputs.keeps_extra_keys(model):
        lines += ["The model keeps keys it does not declare, so a result may carry more.", ""]
    return lines


def _returns_markdown(output: Any, names: dict[type, str]) -> list[str]:
    lines = [f"**Returns** {_returns_head(output, '`')}", ""]
    model = outputs.principal_model(output)
    if model is not None:
        if model is not output:
            lines[0] += f", fields of `{model.__name__}`:"
        lines += _fields_table(model)
        for variant in outputs.variants(output):
            added = ", ".join(f"`{f.name}`" for f in outputs.added_fields(variant, model))
            lines += [
                f"Or `{variant.__name__}`, the same plus {added}. "
                f"{outputs.summary(variant)}".rstrip(),
                "",
            ]
    nested = outputs.nested_models(output)
    if nested:
        lines += [
            "Nested: " + ", ".join(f"[`{names[m]}`](#{_anchor(names[m])})" for m in nested) + ".",
            "",
        ]
    return lines


def _action_markdown(action: Action, names: dict[type, str]) -> list[str]:
    lines = [f"### `{action.name}`", "", action.description, ""]
    params = _params(action)
    if params:
        lines += ["| parameter | type | default | description |", "|---|---|---|---|"]
        lines += [
            f"| `{n}` | `{_cell(k)}` | {_cell(d)} | {_cell(desc)} |" for n, k, d, desc in params
        ]
        lines.append("")
    return lines + _returns_markdown(action.output, names)


def _models_markdown(names: dict[type, str]) -> list[str]:
    """The nested models the outputs name, each described once."""
    lines = [
        "## Output models",
        "",
        "Models the outputs above contain (results hold their JSON form).",
        "",
    ]
    for model, name in sorted(names.items(), key=lambda item: item[1]):
        summary = outputs.summary(model)
        lines += [f"### `{name}`", ""] + ([summary, ""] if summary else [])
        lines += _fields_table(model)
    return lines


def catalog_markdown(component: str | None = None) -> str:
    lines = [
        "# Action catalog",
        "",
        "Generated by `prism-scenarios actions --markdown`. Every YAML step and every "
        "Gherkin sentence runs one of these; **Returns** is the result's shape as "
        "`expect` and `save` see it (JSON: models as objects, enums as their values).",
        "",
    ]
    actions = select(component)
    names = _model_names(actions)
    by_component: dict[str, list[Action]] = {}
    for action in actions:
        by_component.setdefault(action.component, []).append(action)
    for component in sorted(by_component):
        lines += [f"## {component}", ""]
        for action in by_component[component]:
            lines += _action_markdown(action, names)
    return "\n".join(lines + _models_markdown(names)).rstrip()
