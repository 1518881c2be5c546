"""The action catalog: outputs declared and shown, docs/actions.md in step, --component names."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios.actions import outputs
from prism_scenarios.actions.registry import (
    COMPONENTS,
    ActionRegistry,
    Params,
    action,
    load_actions,
)
from prism_scenarios.catalog import (
    catalog_markdown,
    catalog_text,
    prefix_components,
    resolve_component,
)

ROOT = Path(__file__).resolve().parents[3]


class Nothing(Params):
    pass


def _vague(t: Any, seen: set[type]) -> list[str]:
    """Where ``t`` says ``Any`` or a bare ``dict`` (looking into the runner's own models, not
    into flatfile_chat's)."""
    t = outputs._strip(t)
    if t is Any or t is dict or t == dict[str, Any]:
        return [outputs.type_name(t)]
    if outputs.is_model(t):
        if t in seen or not t.__module__.startswith("prism_scenarios"):
            return []
        seen.add(t)
        own = vars(t).get("__annotations__", {})  # not the fields of a flatfile_chat base
        return [
            f"{t.__name__}.{f.name}: {problem}"
            for f in outputs.fields(t)
            if f.name in own
            for problem in _vague(f.type, seen)
        ]
    return [problem for arg in typing.get_args(t) for problem in _vague(arg, seen)]


def test_every_built_in_action_declares_a_precise_output() -> None:
    registry = load_actions()
    vague = {a.name: problems for a in registry if (problems := _vague(a.output, set()))}
    assert len(registry) == 156
    assert not vague, vague


def test_an_action_without_a_return_annotation_is_refused() -> None:
    with pytest.raises(TypeError, match="'test.silent' needs a return annotation"):

        @action("test.silent", component="runner", registry=ActionRegistry())
        async def silent(world, p: Nothing):
            """Returns something nobody declared."""


def test_a_project_action_may_still_return_any() -> None:
    private = ActionRegistry()

    @action("team.anything", component="runner", registry=private)
    async def anything(world, p: Nothing) -> Any:
        """A project's own action, typed loosely."""

    @action("team.shout", component="runner", registry=private)
    async def shout(world, p: Nothing) -> None:
        """Returns nothing."""

    assert private.get("team.anything").output is Any
    assert private.get("team.shout").output is type(None)


def test_text_shows_what_an_action_returns() -> None:
    text = catalog_text("runner")
    assert "    returns: IndexStats\n        kb_id: str\n        embeddings_rows: int" in text
    assert "        aligned: bool - every count equal" in text
    files = catalog_text("files")
    assert "    returns: JSONValue (any JSON value): the file's content, as parsed" in files
    assert (
        "        memory: FFMemoryContextDTO - not always present; only with remember"
        in catalog_text("storage")
    )


def test_markdown_shows_a_returns_section_with_fields() -> None:
    markdown = catalog_markdown()
    section = markdown.split("### `session.get`")[1].split("### ")[0]
    assert "**Returns** `FFSessionDTO`" in section
    assert "| field | type | description |" in section and "| `session_id` | `str` |" in section
    turn = markdown.split("### `chat.turn`")[1].split("### ")[0]
    assert "Nested: [`FFMessageDTO`](#ffmessagedto)" in turn
    assert "## Output models" in markdown and "### `FFMessageDTO`" in markdown
    assert "| `persona` | `str \\| None` |" in turn  # a | would end the table cell


def test_docs_actions_md_is_the_generated_catalog() -> None:
    committed = (ROOT / "docs" / "actions.md").read_text(encoding="utf-8")
    assert committed == catalog_markdown() + "\n", (
        "docs/actions.md is stale: run `prism-scenarios actions --markdown > docs/actions.md`"
    )


@pytest.mark.parametrize(
    ("name", "component"),
    [
        ("memory_layer", "memory_layer"),
        ("knowledge_base", "knowledge_base"),
        ("panel_session", "panel_session"),
        ("tool_execution", "tool_execution"),
        ("analytics", "analytics"),
        ("storage", "storage"),
        ("documents", "documents"),
        ("personas", "personas"),
        ("runner", "runner"),
        ("migration", "migration"),
        ("memory", "memory_layer"),
        ("kb", "knowledge_base"),
        ("rag", "knowledge_base"),
        ("panel", "panel_session"),
        ("tools", "tool_execution"),
        ("session", "storage"),
        ("user", "storage"),
        ("persona", "personas"),
        ("files", "runner"),
        ("audit", "analytics"),
        ("knowledge", "knowledge_base"),
        ("tool", "tool_execution"),
        ("Memory-Layer", "memory_layer"),
    ],
)
def test_component_names_users_type(name: str, component: str) -> None:
    assert resolve_component(name) == component


def test_prefixes_come_from_the_registry() -> None:
    mapping = prefix_components()
    assert set(mapping) == {a.name.split(".")[0] for a in load_actions()}
    assert set(mapping.values()) <= set(COMPONENTS)
    # The majority decides: three tools.* actions are runner checks, the rest tool_execution.
    assert mapping["tools"] == "tool_execution"


def test_an_unknown_component_lists_the_accepted_names() -> None:
    with pytest.raises(ValueError, match="unknown component 'memroy'") as caught:
        resolve_component("memroy")
    message = str(caught.value)
    assert "memory_layer" in message and "kb" in message and "knowledge" in message
    with pytest.raises(ValueError, match="unknown component"):
        catalog_text("memroy")


def test_filtering_by_a_prefix_shows_that_component() -> None:
    text = catalog_text("memory")
    assert "memory.add  [memory_layer]" in text
    assert "chat.turn" not in text and "kb.create" not in text


def test_a_prefix_lists_exactly_its_actions_and_a_component_name_its_component() -> None:
    kb = catalog_text("kb")
    assert "kb.index_stats  [runner]" in kb  # a kb.* check, though a runner action
    assert "rag.context" not in kb
    knowledge = catalog_text("knowledge_base")
    assert "rag.context  [knowledge_base]" in knowledge and "kb.index_stats" not in knowledge
