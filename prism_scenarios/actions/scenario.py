"""The scenario itself: its frozen clock, its variables, restarts, filler data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from typing_extensions import TypedDict

from prism_scenarios.actions.outputs import FreeForm, JSONValue, closed
from prism_scenarios.actions.registry import Params, action, fuzz_max
from prism_scenarios.components import Component
from prism_scenarios.errors import ScenarioError

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


@action("clock.advance", component=Component.RUNNER)
async def clock_advance(world, p: ClockAdvance) -> str:
    """Move the scenario clock forward ("25 hours pass"); returns the new time."""
    try:
        when = world.clock.advance(days=p.days, hours=p.hours, minutes=p.minutes, seconds=p.seconds)
    except OverflowError:  # timedelta or datetime out of range (year 9999 at most)
        raise ScenarioError(
            f"clock.advance: days={p.days}, hours={p.hours}, minutes={p.minutes}, "
            f"seconds={p.seconds} would move the clock from "
            f"{world.clock.now().isoformat()} past the largest time (year 9999)"
        ) from None
    return when.isoformat(timespec="microseconds")


class ClockSet(Params):
    at: str = Field(description="timezone-aware ISO 8601 time")

    @field_validator("at")
    @classmethod
    def _iso_aware(cls, value: str) -> str:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO 8601 time (e.g. 2026-01-01T09:00:00+00:00)") from None
        if when.tzinfo is None:
            raise ValueError("give a timezone offset (e.g. +00:00)")
        return value


@action("clock.set", component=Component.RUNNER)
async def clock_set(world, p: ClockSet) -> str:
    """Set the scenario clock to an absolute time."""
    return world.clock.set(p.at).isoformat(timespec="microseconds")


class NoParams(Params):
    pass


@action("clock.now", component=Component.RUNNER)
async def clock_now(world, p: NoParams) -> str:
    """The scenario clock's current time."""
    return world.clock.now().isoformat(timespec="microseconds")


class VarsSet(Params):
    values: dict[str, Any] = Field(description="name -> value (interpolated first)")


@action("vars.set", component=Component.RUNNER)
async def vars_set(world, p: VarsSet) -> Variables:
    """Set scenario variables; returns them."""
    world.variables.update(p.values)
    return p.values


class ExpectValue(Params):
    value: Any = Field(description="any value, typically '${saved}'; expectations apply to it")


@action("expect.value", component=Component.RUNNER)
async def expect_value(world, p: ExpectValue) -> SameValue:
    """Return ``value`` unchanged so ``expect`` can check saved variables."""
    return p.value


class Noop(Params):
    pass


@action("noop", component=Component.RUNNER)
async def noop(world, p: Noop) -> None:
    """Do nothing (engine overhead benchmarks, placeholders in outlines)."""
    return None


MAX_REPEAT_LENGTH = 16 * 1024 * 1024  # a runner-side cap: no scenario needs more


class TextRepeat(Params):
    text: str = Field(min_length=1, description="the piece to repeat")
    length: int = Field(
        ge=0,
        le=MAX_REPEAT_LENGTH,
        json_schema_extra=fuzz_max(65536),
        description="exact length of the returned text, in characters (at most 16 Mi)",
    )


@action("text.repeat", component=Component.RUNNER)
async def text_repeat(world, p: TextRepeat) -> str:
    """A deterministic text of exactly ``length`` characters made of ``text`` repeated (to
    save and feed to a tool, e.g. past ``max_tool_result_length``)."""
    return (p.text * (p.length // len(p.text) + 1))[: p.length]


@closed
class Restarted(TypedDict):
    dropped: Annotated[list[str], Field(description="the components whose managers were dropped")]


@action("world.restart", component=Component.RUNNER)
async def world_restart(world, p: Noop) -> Restarted:
    """Simulate a process restart: close and drop every manager, the store object and the
    audit log of this world, so the next step builds fresh instances over the same store root
    (same clock and id source). Whatever a manager kept only in memory is gone; returns the
    components that were dropped."""
    return {"dropped": await world.restart()}
