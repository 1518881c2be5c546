"""The engine: the only executor of steps, for YAML and Gherkin alike.

Per step: interpolate → validate params → call the action → record result, time, components
→ save → expect → invariants. A scenario run owns its world (temp store root, frozen clock,
fixed seed) and one event loop; steps are synchronous calls into it, which is what pytest-bdd
needs (it never awaits ``async def`` steps).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pydantic

from flatfile_chat.errors import FFError
from prism_scenarios import attack as attack_mode
from prism_scenarios import matchers, step_timeout, write_audit
from prism_scenarios.actions.registry import ActionRegistry, load_actions
from prism_scenarios.components import Component
from prism_scenarios.errors import (
    ExpectationFailed,
    InvariantBreach,
    ScenarioError,
    ScenarioFailure,
)
from prism_scenarios.interpolate import (
    MIN_SECRET,
    interpolate,
    mask_text,
    redact,
    secret_forms,
)
from prism_scenarios.schema import INVARIANTS
from prism_scenarios.world import DEFAULT_SEED, DEFAULT_START, World

ALL_INVARIANTS = dict.fromkeys(INVARIANTS, True)
# Integrity issue kinds (flatfile_chat.store.integrity and the managers' checks) by invariant;
# any other kind is a counter/consistency problem.
ISSUE_INVARIANT = {
    "jsonl_invalid": "jsonl",
    "json_invalid": "jsonl",
    "raw_user_id": "isolation",
    "memory_foreign_item": "isolation",
    "session_foreign": "isolation",
}


@dataclass
class StepRecord:
    index: int
    action: str
    where: str
    title: str
    params: dict[str, Any]
    components: tuple[str, ...]
    result: Any = None
    error: BaseException | None = None
    duration: float = 0.0
    status: str = "passed"
    # Every form of the secret values (from ${env:...}) known when the step ended
    # (interpolate.secret_forms): reports mask them.
    secrets: tuple[str, ...] = ()

    @property
    def shown_result(self) -> Any:
        """The result as reports show it, secrets masked (``result`` keeps the real values
        for expectations and saves)."""
        return redact(self.result, self.secrets) if self.secrets else self.result


@dataclass
class ScenarioRecord:
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.steps)


class StepObserver(Protocol):
    """Told of every step the engine runs, so reporting layers (the Allure bridge, a test's
    collector) plug in here and the engine never names them.

    ``step_started`` comes once the step is recorded, before its action runs;
    ``step_finished`` once its outcome is set (status, error, result, duration; secrets
    masked). Observers are told in the order they were registered. One that raises fails
    the step, as a broken action would (a report silently missing steps is worse than a red
    run): the error propagates and the observers after it miss that event; raised from
    ``step_started``, the action does not run and no one is told it finished; raised from
    ``step_finished``, it replaces the step's own error (kept as its ``__context__``).
    """

    def step_started(self, record: StepRecord) -> None: ...
    def step_finished(self, record: StepRecord) -> None: ...


Reporter = StepObserver  # its first name, when a run had exactly one


class NullReporter:
    """No one listening: what a run without observers notifies (no branch per step)."""

    def step_started(self, record: StepRecord) -> None:
        pass

    def step_finished(self, record: StepRecord) -> None:
        pass


class _Fanout:
    """Several observers behind one: only runs with more than one pay for the loop."""

    __slots__ = ("observers",)

    def __init__(self, observers: tuple[StepObserver, ...]) -> None:
        self.observers = observers

    def step_started(self, record: StepRecord) -> None:
        for observer in self.observers:
            observer.step_started(record)

    def step_finished(self, record: StepRecord) -> None:
        for observer in self.observers:
            observer.step_finished(record)


def _dispatch(observers: list[StepObserver]) -> StepObserver:
    """What a step notifies: the one observer itself when there is one (a step then costs
    what it cost when the engine had a single reporter)."""
    if not observers:
        return NullReporter()
    if len(observers) == 1:
        return observers[0]
    return _Fanout(tuple(observers))


def to_data(value: Any) -> Any:
    """Action results as plain JSON data (models dumped), so JMESPath can walk them."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class ScenarioRun:
    """One scenario in progress. Use as a context manager; call :meth:`step` per step."""

    def __init__(
        self,
        *,
        config: dict[str, Any] | None = None,
        start: str | None = None,
        seed: int | None = None,
        variables: dict[str, Any] | None = None,
        invariants: dict[str, bool] | None = None,
        reporter: StepObserver | None = None,
        observers: Iterable[StepObserver] = (),
        registry: ActionRegistry | None = None,
        keep: bool = False,
        telemetry: bool = False,
        attack: attack_mode.AttackPoint | None = None,
    ) -> None:
        self.registry = registry or load_actions()
        self.world = World(
            config=config,
            start=start or DEFAULT_START,
            seed=DEFAULT_SEED if seed is None else seed,
            variables=variables,
            keep=keep,
        )
        self.invariants = {**ALL_INVARIANTS, **(invariants or {})}
        # Telemetry: like an application would, every SUT action leaves an operation metric
        # and an audit line in analytics/. Off by default (it grows every store); the engine
        # does it, so it does not count as the scenario exercising analytics.
        self.telemetry = telemetry
        # Told of every step (StepObserver); ``reporter`` is the one-observer shorthand.
        self._observers: list[StepObserver] = [*observers]
        if reporter is not None:
            self._observers.append(reporter)
        self._notify = _dispatch(self._observers)
        self.record = ScenarioRecord()
        self.last_result: Any = None
        self.last_error: BaseException | None = None  # for check(raises=...)
        # Environment values used so far (longest first, >= MIN_SECRET characters): masked in
        # every message and reported result, since one may come back in a result or a save.
        self.secrets: tuple[str, ...] = ()
        # ... and every form they can take once formatted (raw, JSON- and repr-escaped).
        self.secret_forms: tuple[str, ...] = ()
        # One loop per scenario, driven with run_until_complete: asyncio.Runner.run re-installs
        # a SIGINT handler on every call, which alone costs more than a no-op step.
        self._loop = asyncio.new_event_loop()
        # Attack mode (prism_scenarios.attack): the world gets a victim and a canary before
        # the first step, and every step after that is checked by the attack oracles.
        self.attack = attack
        self.oracle: attack_mode.AttackOracle | None = None
        self._arming = False
        if attack is not None:
            self.world.variables[attack.variable] = attack.payload.text
            self.world.variables.update(victim=attack_mode.VICTIM)

    def __enter__(self) -> ScenarioRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self.world.aclose())
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    # -- observers -----------------------------------------------------------------------
    @property
    def observers(self) -> tuple[StepObserver, ...]:
        """Who is told of each step, in the order they are told."""
        return tuple(self._observers)

    def add_observer(self, observer: StepObserver) -> None:
        """Tell ``observer`` of every step from the next one on (after those already here)."""
        self._observers.append(observer)
        self._notify = _dispatch(self._observers)

    # -- one step ------------------------------------------------------------------------
    def arm_attack(self, point: attack_mode.AttackPoint | None = None) -> None:
        """Build the attack world (victim with a secret, canary beside the store root) and
        switch the attack oracles on. Called before the first step of an attack run; the
        Gherkin sentence "Given an attack world ..." calls it with its own payload."""
        if point is not None:
            self.attack = point
            self.world.variables[point.variable] = point.payload.text
        if self.attack is None or self.oracle is not None or self._arming:
            return
        self._arming = True
        secret = attack_mode.new_secret()
        where = f"attack world ({self.attack.payload.id})"
        victim = attack_mode.VICTIM
        self.step(
            "user.create",
            {"user_id": victim},
            where=where,
            label=f"attack world: victim user {victim!r}",
        )
        session = self.step(
            "session.create",
            {"user_id": victim, "title": "private"},
            where=where,
            label="attack world: victim session",
        )["session_id"]
        self.step(
            "message.add",
            {
                "user_id": victim,
                "session_id": session,
                "role": "user",
                "content": f"my secret is {secret}",
            },
            where=where,
            label="attack world: victim secret message",
        )
        canary, body, mtime = attack_mode.plant_canary(self.world.base_dir)
        self.world.variables.update(victim=victim, victim_session=session, canary=str(canary))
        self.oracle = attack_mode.AttackOracle(
            self.attack,
            attack_mode.AttackWorld(
                victim=victim,
                victim_session=session,
                secret=secret,
                canary=canary,
                canary_bytes=body,
                canary_mtime_ns=mtime,
            ),
        )

    def step(
        self,
        action_name: str,
        params: dict[str, Any] | None = None,
        *,
        where: str,
        save: dict[str, str] | None = None,
        expect: list[dict[str, Any]] | None = None,
        raises: dict[str, str] | None = None,
        timeout: float | None = None,
        label: str | None = None,
        capture_error: bool = False,
        attack_outcome: str | None = None,
        read_back: dict[str, Any] | None = None,
    ) -> Any:
        """Run one action. ``capture_error`` keeps a raised error as the result instead of
        failing (Gherkin's "When I try to …" followed by "Then it fails with …").

        In an attack run, ``attack_outcome`` says what hostile input may do here (refused,
        verbatim, refused_or_verbatim); a refused step skips its ``save``/``expect``, an
        accepted one runs ``read_back`` (one action + ``path``) and must get the payload
        back byte-identical."""
        if self.attack is not None and self.oracle is None:
            self.arm_attack()
        action = self.registry.get(action_name)
        if action is None:
            raise ScenarioError(f"{where}: unknown action {action_name!r}")
        values, shown = self._resolve(params or {})
        record = StepRecord(
            index=len(self.record.steps) + 1,
            action=action_name,
            where=where,
            title=label or _title(action_name, shown),
            params=shown,
            components=action.components,
        )
        with _Reported(self, record):
            accepted = self._execute(
                action, record, values, raises, timeout, capture_error, attack_outcome
            )
            if save and accepted:
                self._save(record, save)
            if expect and accepted:
                self._expect(record, expect)
        if read_back and accepted and attack_outcome is not None:
            self._read_back(record, read_back, where)
        return record.result

    def _read_back(self, record: StepRecord, read_back: dict[str, Any], where: str) -> None:
        """The attack ``verbatim`` check: the stored value, read back, is the payload."""
        path = read_back["path"]
        name = next(k for k in read_back if k != "path")
        result = self.step(
            name, read_back[name] or {}, where=where, label=f"read back ({name}) {path}"
        )
        value = matchers.search(path, result)
        problems = self.oracle.read_back_problems(value) if self.oracle else []
        if problems:
            raise InvariantBreach(self._attack_head(record) + ":\n  " + "\n  ".join(problems))

    def _attack_head(self, record: StepRecord) -> str:
        point = self.attack
        return (
            f"{record.where}: attack oracle broken after step {record.index} "
            f"`{record.action}` (payload {point.payload.id}: {point.payload.text!r})"
        )

    def _resolve(self, value: Any) -> tuple[Any, Any]:
        """(real, shown): ``value`` interpolated for the action, and as reports show it (each
        ``${env:...}`` as ``***``, known secret values masked). No extra work without
        secrets."""
        used: list[str] = []
        real = interpolate(value, self.world.variables, used)
        if not used and not self.secrets:
            return real, real
        if used:
            self.remember_secrets(used)
            shown = interpolate(value, self.world.variables, masked=True)
        else:
            shown = real
        return real, redact(shown, self.secret_forms)

    def remember_secrets(self, values: list[str]) -> None:
        """Mask these values from now on (short ones only where referenced: MIN_SECRET)."""
        new = {v for v in values if len(v) >= MIN_SECRET}.difference(self.secrets)
        if new:
            self.secrets = tuple(sorted({*self.secrets, *new}, key=len, reverse=True))
            self.secret_forms = secret_forms(self.secrets)

    def _shown(self, value: Any) -> Any:
        """Data (a result, an expected value, a parameter) as a message may show it: secrets
        masked *before* formatting, so JSON/repr escaping or a cut cannot keep one."""
        return redact(value, self.secret_forms) if self.secret_forms else value

    def _said(self, text: str) -> str:
        """Text someone else formatted (an action's error) with every secret form masked."""
        return mask_text(text, self.secret_forms) if self.secret_forms else text

    def _scrub(self, record: StepRecord, exc: BaseException) -> BaseException | None:
        """Last line of defence, for any error leaving a step: every secret form masked in
        the args and text attributes of it and of every error chained to it (their text feeds
        pytest output, junit.xml, summary.json, Allure). A chained error whose text still
        shows one is cut off; returns a masked stand-in when ``exc``'s own text still does."""
        if not self.secret_forms:
            return None
        errors = _chain(exc, record.error)
        for error in errors:
            _mask_error(error, self.secret_forms)
        for error in errors:
            chained = error.__cause__ or error.__context__
            if chained is not None and self._leaks(chained):
                error.__cause__, error.__suppress_context__ = None, True
        if record.error is not exc and self._leaks(record.error):
            record.error = exc
        if not self._leaks(exc):
            return None
        record.error = SecretMasked(f"{type(exc).__name__}: {self._said(str(exc))}")
        return record.error

    def _leaks(self, error: BaseException | None) -> bool:
        text = str(error)
        return self._said(text) != text

    def _execute(
        self,
        action: Any,
        record: StepRecord,
        values: dict[str, Any],
        raises: dict[str, str] | None,
        timeout: float | None,
        capture_error: bool = False,
        attack_outcome: str | None = None,
    ) -> bool:
        """Run the action and judge it. Returns whether ``save``/``expect`` apply: always,
        except for an attack step whose payload was refused (an error, or a refusal the
        result reports)."""
        try:
            model = action.params.model_validate(values)
        except pydantic.ValidationError as exc:
            raise ScenarioError(
                f"{record.where}: step {record.index} `{action.name}`: bad "
                f"parameters after interpolation: "
                f"{_pydantic_summary(exc, self._shown, self._said)}"
            ) from None
        before = set(self.world.components_used)
        started = time.perf_counter()
        error: BaseException | None = None
        result: Any = None
        reads: list[str] | None = [] if self.oracle is not None else None
        with write_audit.Recorder(reads) as written:
            try:
                coro = action.fn(self.world, model)
                with step_timeout.deadline(timeout):
                    result = (
                        self._loop.run_until_complete(asyncio.wait_for(coro, timeout))
                        if timeout
                        else self._drive(coro)
                    )
            except Exception as exc:  # the step's outcome; judged against `raises` below
                error = exc
            record.duration = time.perf_counter() - started
            if error is None or isinstance(error, FFError):
                # Only a step that reached the system under test exercised its components
                # (a refusal by the SUT did; a runner-side crash did not).
                self.world.components_used.update(action.components)
            else:
                self.world.components_used = before
            if self.telemetry and action.component != Component.RUNNER:
                self._loop.run_until_complete(self._emit_telemetry(action, record, values, error))
        record.result = to_data(result) if error is None else _error_data(error)
        self.last_result, self.last_error = record.result, error
        oracle = self.oracle
        attack_problems: list[str] = []
        if raises is not None:
            self._check_raises(record, raises, error)
        elif attack_outcome is not None and oracle is not None:
            attack_problems += oracle.outcome_problems(attack_outcome, error, record.result)
        elif error is not None and not capture_error:
            record.error = error
            raise ExpectationFailed(
                f"{record.where}: step {record.index} `{record.action}` raised "
                f"{type(error).__name__}: {self._said(str(error))}"
            ) from error
        self._check_invariants(record, written)
        if oracle is not None:
            roots = self._write_roots
            attack_problems += [
                f"[outside_root] {p} was read outside the store root {self.world.store_root}"
                for p in attack_mode.reads_outside(reads or [], roots)
            ]
            attack_problems += oracle.canary_problems()
            attack_problems += oracle.cross_user_problems(record.result)
            attack_problems += oracle.argv_problems(action.name, values, record.result)
            if attack_problems:
                raise InvariantBreach(
                    self._attack_head(record) + ":\n  " + "\n  ".join(attack_problems)
                )
        refused = (
            isinstance(record.result, dict)
            and record.result.get("success") is False
            and bool(record.result.get("denial_reason"))
        )
        return attack_outcome is None or (error is None and not refused)

    async def _emit_telemetry(
        self, action: Any, record: StepRecord, values: dict[str, Any], error: BaseException | None
    ) -> None:
        analytics = self.world.manager("analytics")
        await analytics.record_operation(
            action.component,
            record.duration * 1000,
            error is None,
            error_type=type(error).__name__ if error else None,
        )
        actor = values.get("user_id") if isinstance(values.get("user_id"), str) else None
        try:
            self.world.audit.record(
                "action_performed",
                component=action.component,
                actor=actor,
                outcome="success" if error is None else "failure",
                details={"action": action.name, "step": record.index},
            )
        except Exception:  # a hostile actor id is the step's own story, not telemetry's
            self.world.audit.record(
                "action_performed",
                component=action.component,
                outcome="failure",
                details={"action": action.name, "step": record.index},
            )

    def _drive(self, coro: Any) -> Any:
        """Run an action coroutine to completion on this scenario's loop, as a real task
        (actions may use timeouts, task groups, threads)."""
        return self._loop.run_until_complete(coro)

    def _check_raises(
        self,
        record: StepRecord,
        raises: dict[str, str],
        error: BaseException | None,
        subject: str = "the step",
    ) -> None:
        wanted = raises["error"]
        head = f"{record.where}: step {record.index} `{record.action}`"
        if error is None:
            raise ExpectationFailed(
                f"{head}: expected {wanted} but {subject} succeeded\n"
                f"  result: {matchers._show(self._shown(record.result))}"
            )
        names = {cls.__name__ for cls in type(error).__mro__}
        if wanted not in names:
            raise ExpectationFailed(
                f"{head}: expected {wanted}, got {type(error).__name__}: {self._said(str(error))}"
            ) from error
        message = str(error)
        if "message" in raises and raises["message"] not in message:
            raise ExpectationFailed(
                f"{head}: {wanted} raised, but its message does not "
                f"contain {raises['message']!r}\n  message: "
                f"{self._said(message)}"
            )
        if "matches" in raises and not self._regex(head, raises["matches"]).search(message):
            raise ExpectationFailed(
                f"{head}: {wanted} raised, but its message does not "
                f"match /{raises['matches']}/\n  message: "
                f"{self._said(message)}"
            )

    def _regex(self, head: str, pattern: str) -> Any:
        try:
            return matchers.compile_regex(pattern)
        except ScenarioError as exc:
            raise _located(head, exc) from None

    def _save(self, record: StepRecord, save: dict[str, str]) -> None:
        head = f"{record.where}: step {record.index} `{record.action}`"
        for name, path in save.items():
            try:
                value = matchers.search(path, record.result)
            except ScenarioError as exc:
                raise _located(f"{head}: save {name!r}", exc) from None
            if value is None:
                raise ScenarioError(
                    f"{head}: save {name!r}: path {path!r} found nothing in "
                    f"the result {matchers._show(self._shown(record.result))}"
                )
            self.world.variables[name] = value

    def _expect(self, record: StepRecord, expect: list[dict[str, Any]]) -> None:
        """Check every expectation, then report all that failed in one failure. What a
        message shows is masked here, before formatting (matchers mask their own wording)."""
        failed = []
        for n, expectation in enumerate(expect, start=1):
            used: list[str] = []
            resolved = interpolate(expectation, self.world.variables, used)
            if used:
                self.remember_secrets(used)
            try:
                actual, failures = matchers.check(resolved, record.result, self.secret_forms)
            except ScenarioError as exc:  # e.g. `gt: "${lim}"` that is not a number
                raise _located(
                    f"{record.where}: step {record.index} `{record.action}`: expectation {n}", exc
                ) from None
            if failures:
                failed.append(
                    (
                        n,
                        self._shown(resolved),
                        self._shown(actual),
                        [(name, self._shown(expected), why) for name, expected, why in failures],
                    )
                )
        if failed:
            raise ExpectationFailed(_expectation_message(record, failed, len(expect)))

    @functools.cached_property
    def _write_roots(self) -> list[str]:
        return [str(r) for r in self.world.allowed_write_roots]

    @functools.cached_property
    def _store_prefix(self) -> str:
        return str(self.world.store_root) + os.sep

    def _check_invariants(self, record: StepRecord, written: list[str]) -> None:
        problems: list[str] = []
        if self.invariants["outside_root"] and written:
            problems += [
                f"[outside_root] {p} was written outside the store root {self.world.store_root}"
                for p in write_audit.outside(written, self._write_roots)
            ]
        store_checks = ("jsonl", "counters", "isolation")
        if any(self.invariants[k] for k in store_checks):
            issues = []
            if self.world.has_store:
                root = self._store_prefix
                issues += self.world.store.check_integrity(
                    {p for p in written if p.startswith(root)}
                )
            # Stores a migration brought to the current format (legacy/{name}) are held to
            # the same invariants; a .jsonl file in one is seen by both checks: once is enough.
            issues += self.world.migrated_store_issues(written)
            planted = self.world.planted_links
            for issue in issues:
                if issue.kind == "unsafe_link" and issue.path in planted:
                    continue  # the scenario's own attack, reported by the store as it should
                if self.invariants[ISSUE_INVARIANT.get(issue.kind, "counters")]:
                    problems.append(str(issue))
            problems = list(dict.fromkeys(problems))
        if problems:
            raise InvariantBreach(
                f"{record.where}: invariant broken after step {record.index} "
                f"`{record.action}`:\n  " + "\n  ".join(problems)
            )

    def check(
        self,
        *,
        where: str,
        label: str,
        expect: list[dict[str, Any]] | None = None,
        raises: dict[str, str] | None = None,
        save: dict[str, str] | None = None,
    ) -> Any:
        """A step of its own that checks (or saves from) the previous step's result."""
        record = StepRecord(
            index=len(self.record.steps) + 1,
            action="expect",
            where=where,
            title=label,
            params={k: v for k, v in (("expect", expect), ("raises", raises), ("save", save)) if v},
            components=(Component.RUNNER.value,),
            result=self.last_result,
        )
        with _Reported(self, record):
            if raises is not None:
                self._check_raises(record, raises, self.last_error, "the previous step")
            if save:
                self._save(record, save)
            if expect:
                self._expect(record, expect)
        return record.result

    # -- bookkeeping ---------------------------------------------------------------------
    @property
    def components_used(self) -> set[str]:
        return set(self.world.components_used) - {Component.RUNNER.value}


class _Reported:
    """Around one step: recorded and its observers told it started; on the way out its
    outcome set, secrets scrubbed from a failure, and its observers told it finished. (A
    class, not a generator context manager: this runs on every step.)"""

    __slots__ = ("record", "run")

    def __init__(self, run: ScenarioRun, record: StepRecord) -> None:
        self.run, self.record = run, record
        run.record.steps.append(record)
        run._notify.step_started(record)

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: object
    ) -> None:
        record, run = self.record, self.run
        stand_in = None
        try:
            if exc is not None:
                record.status = "failed" if isinstance(exc, AssertionError) else "broken"
                record.error = record.error or exc
                stand_in = run._scrub(record, exc)
        finally:
            record.secrets = run.secret_forms
            run._notify.step_finished(record)
        if stand_in is not None:
            raise stand_in from None


def _title(action: str, params: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={_brief(v)}" for k, v in params.items())
    return f"{action}({shown})" if shown else action


def _brief(value: Any) -> str:
    text = value if isinstance(value, str) else matchers._show(value, 40)
    return text if len(text) <= 40 else text[:39] + "…"


def _error_data(error: BaseException) -> dict[str, Any]:
    return {
        "error": type(error).__name__,
        "message": str(error),
        **{
            k: to_data(v)
            for k, v in getattr(error, "context", {}).items()
            if isinstance(v, str | int | float | bool | type(None))
        },
    }


def _pydantic_summary(
    exc: pydantic.ValidationError,
    shown: Callable[[Any], Any] = lambda value: value,
    said: Callable[[str], str] = lambda text: text,
) -> str:
    """Each bad parameter, with its input masked (``shown``) before repr escapes it, and
    pydantic's wording masked as text (``said``)."""
    parts = []
    for error in exc.errors():
        key = ".".join(map(str, error["loc"])) or "(parameters)"
        parts.append(f"{key}: {said(error['msg'])} (got {shown(error.get('input'))!r})")
    return "; ".join(parts)


class SecretMasked(Exception):
    """Stands in for an error leaving a step whose own text still showed a secret after its
    args and attributes were masked (a custom ``__str__``): its type name and masked text."""


def _located(head: str, exc: ScenarioError) -> ScenarioError:
    """A scenario error raised below the engine (matchers: a bad JMESPath, RE2 pattern or
    expected value) with the step's file:line in front, like every other failure."""
    return ScenarioError(f"{head}: {str(exc).removeprefix(ScenarioError.marker)}")


def _chain(exc: BaseException, *more: BaseException | None) -> list[BaseException]:
    """``exc``, ``more`` and every error chained to them (cause or context), once each."""
    seen: dict[int, BaseException] = {}
    todo = [exc, *more]
    while todo:
        error = todo.pop()
        if error is not None and id(error) not in seen:
            seen[id(error)] = error
            todo += [error.__cause__, error.__context__]
    return list(seen.values())


def _mask_error(error: BaseException, forms: tuple[str, ...]) -> None:
    """Every secret form masked in ``error``'s args, string attributes (FFError.message,
    OSError.filename, a library's fields) and notes, nested containers too."""
    error.args = tuple(_masked(a, forms) for a in error.args)
    names = [*vars(error)] if hasattr(error, "__dict__") else []
    if isinstance(error, OSError):
        names += ["filename", "filename2", "strerror"]
    for name in names:
        value = getattr(error, name, None)
        masked = _masked(value, forms)
        if masked is not value:  # unchanged strings and other objects come back as they are
            with contextlib.suppress(AttributeError, TypeError):  # a read-only attribute
                setattr(error, name, masked)


def _masked(value: Any, forms: tuple[str, ...]) -> Any:
    """Strings masked as text (escaped forms and cut prefixes), at any depth of plain
    containers, types kept; anything else as it is."""
    if isinstance(value, str):
        return mask_text(value, forms)
    if isinstance(value, dict):
        return {_masked(k, forms): _masked(v, forms) for k, v in value.items()}
    if type(value) in (list, tuple):  # not a named tuple: its fields are its own
        return type(value)(_masked(v, forms) for v in value)
    return value


def _expectation_message(
    record: StepRecord,
    failed: list[tuple[int, dict[str, Any], Any, list[tuple[str, Any, str]]]],
    total: int,
) -> str:
    """One block per failed expectation (numbered when several failed), so a step shows
    everything that is wrong with its result at once."""
    head = f"{record.where}: step {record.index} `{record.action}`"
    if len(failed) == 1:
        lines = [f"{head} expectation failed"]
    else:
        lines = [f"{head}: {len(failed)} of {total} expectations failed"]
    for n, expectation, actual, failures in failed:
        if len(failed) > 1:
            lines.append(f"  -- expectation {n} of {total}:")
        lines += _failure_lines(expectation, actual, failures)
    return "\n".join(lines)


def _failure_lines(
    expectation: dict[str, Any], actual: Any, failures: list[tuple[str, Any, str]]
) -> list[str]:
    lines = [f"  expect:   {matchers._show(expectation)}"]
    for name, expected, why in failures:
        lines += [
            f"  matcher:  {name}",
            f"  expected: {matchers._show(expected)}",
            f"  actual:   {matchers._show(actual)}",
            f"  ({why})",
        ]
        delta = matchers.diff(expected, actual) if name == "equals" else None
        if delta:
            lines += ["  diff:", *("    " + line for line in delta.splitlines())]
    return lines


__all__ = [
    "ExpectationFailed",
    "InvariantBreach",
    "ScenarioFailure",
    "ScenarioRun",
    "StepObserver",
    "StepRecord",
]
