"""The action catalog's text form block for block (prism_scenarios.catalog), on a private
registry so each line is known: parameters with their defaults, declared and undeclared
outputs, and selecting by component or prefix."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from prism_scenarios import catalog
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions

# The built-in actions load while this module is collected, before any in-process pytester
# run: a module first imported inside one is dropped from sys.modules when it ends, and the
# output models' type hints (read from their module) would then no longer resolve.
load_actions()


class Shout(Params):
    text: str = Field(description="what to say")
    times: int = 1
    tags: list[str] = Field(default_factory=list)
    where: str | None = None


class Heard(BaseModel):
    """What was heard."""

    text: str = Field(description="as said")
    loud: bool


class Nothing(Params):
    pass


@pytest.fixture
def private(monkeypatch: pytest.MonkeyPatch) -> ActionRegistry:
    registry = ActionRegistry()

    @action("team.shout", component="runner", registry=registry)
    async def shout(world: Any, p: Shout) -> Heard:
        """Say it loud.

        More than one line here."""
        raise NotImplementedError

    @action("team.vague", component="runner", registry=registry)
    async def vague(world: Any, p: Nothing) -> Any:
        """Returns whatever."""

    @action("noise.make", component="analytics", also=["runner"], registry=registry)
    async def make(world: Any, p: Nothing) -> list[Heard]:
        """Makes noise."""
        return []

    monkeypatch.setattr(catalog, "load_actions", lambda: registry)
    return registry


def test_the_text_of_each_action(private: ActionRegistry) -> None:
    assert catalog.catalog_text() == "\n".join(
        [
            "noise.make  [analytics]",
            "    Makes noise.",
            "    returns: list[Heard]",
            "        text: str - as said",
            "        loud: bool",
            "",
            "team.shout  [runner]",
            "    Say it loud.",
            "    ",
            "    More than one line here.",
            "    - text: str (required) - what to say",
            "    - times: int (default 1)",
            "    - tags: list[str] (default [])",
            "    - where: str | None (default None)",
            "    returns: Heard",
            "        text: str - as said",
            "        loud: bool",
            "",
            "team.vague  [runner]",
            "    Returns whatever.",
            "    returns: Any (not declared)",
        ]
    )


def test_prefixes_and_selection_on_the_private_registry(private: ActionRegistry) -> None:
    assert catalog.prefix_components() == {"noise": "analytics", "team": "runner"}
    assert [a.name for a in catalog.select("team")] == ["team.shout", "team.vague"]
    assert [a.name for a in catalog.select("runner")] == [
        "noise.make",  # also=runner: a runner action too
        "team.shout",
        "team.vague",
    ]
    assert [a.name for a in catalog.select("metrics")] == ["noise.make"]  # an alias
    assert [a.name for a in catalog.select(" NOISE ")] == ["noise.make"]
    assert catalog.select(None) == catalog.select("") == list(private)
    with pytest.raises(ValueError) as caught:
        catalog.select("nope")
    assert str(caught.value) == (
        "unknown component 'nope'; use a component ("
        + ", ".join(catalog.COMPONENTS)
        + "), an action prefix (noise, team) or an alias (document, knowledge, metrics, "
        "scenario, tool)"
    )


def test_a_prefix_tie_goes_to_the_first_component_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = ActionRegistry()

    @action("mix.a", component="storage", registry=registry)
    async def a(world: Any, p: Nothing) -> None:
        """A."""

    @action("mix.b", component="analytics", registry=registry)
    async def b(world: Any, p: Nothing) -> None:
        """B."""

    @action("mix.c", component="storage", registry=registry)
    async def c(world: Any, p: Nothing) -> None:
        """C."""

    monkeypatch.setattr(catalog, "load_actions", lambda: registry)
    assert catalog.prefix_components() == {"mix": "storage"}  # two of three


def test_the_real_catalog_blocks_are_separated_and_the_json_note() -> None:
    text = catalog.catalog_text("files")
    block = next(b for b in text.split("\n\n") if b.startswith("files.read_jsonl  [runner]"))
    assert block.splitlines()[-1] == (
        "    returns: list[JSONValue] (JSONValue = any JSON value): each line of the file, parsed"
    )
    assert not text.endswith("\n")


def test_cells_and_anchors_for_markdown() -> None:
    assert catalog._cell("a | b\nc") == "a \\| b c"
    assert catalog._anchor("prism.Thing_x-Y z!") == "prismthing_x-yz"
