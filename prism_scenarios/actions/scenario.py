"""The scenario itself: its frozen clock, its variables, restarts, filler data."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator
from typing_extensions import TypedDict

from prism_scenarios.actions.outputs import FreeForm, JSONValue, closed
from prism_scenarios.actions.registry import Params, action

Variables = dict[str, Annotated[JSONValue, FreeForm("each variable's value, as set")]]
SameValue = Annotated[JSONValue, FreeForm("the value given, unchanged")]


class ClockAdvance(Params):
    days: float = Field(0, ge=0)
    hours: float = Field(0, ge=0)
    minutes: float = Field(0, ge=0)
    seconds: float = Field(0, ge=0)

    @model_validator(mode="after")
    def _some_time(self) -> ClockAdvance:
        if not (self.days or self.hours or self.minutes or self.seconds):
            raise ValueError("give at least one of days, hours, minutes, seconds")
        return self


@action("clock.advance", component="runner")
async def clock_advance(world, p: ClockAdvance) -> str:
    """Move the scenario clock forward ("25 hours pass"); returns the new time."""
    when = world.clock.advance(days=p.days, hours=p.hours, minutes=p.minutes,
                               seconds=p.seconds)
    return when.isoformat(timespec="microseconds")


class ClockSet(Params):
    at: str = Field(description="timezone-aware ISO 8601 time")


@action("clock.set", component="runner")
async def clock_set(world, p: ClockSet) -> str:
    """Set the scenario clock to an absolute time."""
    return world.clock.set(p.at).isoformat(timespec="microseconds")


class NoParams(Params):
    pass


@action("clock.now", component="runner")
async def clock_now(world, p: NoParams) -> str:
    """The scenario clock's current time."""
    return world.clock.now().isoformat(timespec="microseconds")


class VarsSet(Params):
    values: dict[str, Any] = Field(description="name -> value (interpolated first)")


@action("vars.set", component="runner")
async def vars_set(world, p: VarsSet) -> Variables:
    """Set scenario variables; returns them."""
    world.variables.update(p.values)
    return p.values


class ExpectValue(Params):
    value: Any = Field(description="any value, typically '${saved}'; expectations apply to it")


@action("expect.value", component="runner")
async def expect_value(world, p: ExpectValue) -> SameValue:
    """Return ``value`` unchanged so ``expect`` can check saved variables."""
    return p.value


class Noop(Params):
    pass


@action("noop", component="runner")
async def noop(world, p: Noop) -> None:
    """Do nothing (engine overhead benchmarks, placeholders in outlines)."""
    return None


class TextRepeat(Params):
    text: str = Field(description="the piece to repeat")
    length: int = Field(description="exact length of the returned text, in characters")


@action("text.repeat", component="runner")
async def text_repeat(world, p: TextRepeat) -> str:
    """A deterministic text of exactly ``length`` characters made of ``text`` repeated (to
    save and feed to a tool, e.g. past ``max_tool_result_length``)."""
    if not p.text or p.length < 0:
        raise ValueError("text must not be empty and length must not be negative")
    return (p.text * (p.length // len(p.text) + 1))[:p.length]


@closed
class Restarted(TypedDict):
    dropped: Annotated[list[str], Field(description="the components whose managers were "
                                                    "dropped")]


@action("world.restart", component="runner")
async def world_restart(world, p: Noop) -> Restarted:
    """Simulate a process restart: close and drop every manager, the store object and the
    audit log of this world, so the next step builds fresh instances over the same store root
    (same clock and id source). Whatever a manager kept only in memory is gone; returns the
    components that were dropped."""
    return {"dropped": await world.restart()}
