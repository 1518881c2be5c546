"""The engine: interpolation, save, expect, raises, invariants, timeouts, components."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ExpectationFailed, InvariantBreach, ScenarioError


def _registry_with(*extra) -> ActionRegistry:
    registry = ActionRegistry()
    for act in load_actions():
        registry.register(act)
    for act in extra:
        registry.register(act)
    return registry


class Escape(Params):
    target: str


class Sleep(Params):
    seconds: float


class CorruptLog(Params):
    user_id: str
    session_id: str


_private = ActionRegistry()


@action("test.write_outside", component="storage", registry=_private)
async def write_outside(world, p: Escape) -> None:
    """Writes a file wherever it is told (a misbehaving component)."""
    Path(p.target).write_text("oops")


@action("test.sleep", component="runner", registry=_private)
async def sleep(world, p: Sleep) -> str:
    """Really awaits the event loop (timer and thread hop)."""
    await asyncio.sleep(p.seconds)
    return await asyncio.to_thread(lambda: "woke")


@action("test.corrupt_log", component="storage", registry=_private)
async def corrupt_log(world, p: CorruptLog) -> None:
    """Appends garbage to a messages.jsonl behind the store's back."""
    path = world.store_root / "users" / p.user_id / p.session_id / "messages.jsonl"
    with open(path, "ab") as fh:
        fh.write(b"{not json\n")


@pytest.fixture
def run():
    with ScenarioRun(registry=_registry_with(*_private)) as scenario:
        yield scenario


def _chat(run: ScenarioRun) -> str:
    run.step("user.create", {"user_id": "alice"}, where="t:1")
    run.step("session.create", {"user_id": "alice"}, where="t:2", save={"s1": "session_id"})
    return run.world.variables["s1"]


def test_save_interpolate_and_expect(run: ScenarioRun) -> None:
    sid = _chat(run)
    result = run.step(
        "chat.turn",
        {"user_id": "alice", "session_id": "${s1}", "text": "hi", "reply": "hello"},
        where="t:3",
        expect=[
            {"path": "assistant_message.content", "equals": "hello"},
            {"path": "user_message.role", "equals": "user"},
        ],
    )
    assert result["user_message"]["content"] == "hi"
    assert run.world.store.sessions.get("alice", sid).message_count == 2
    assert run.components_used == {"storage"}


def test_expectation_failure_names_where_expected_actual_and_diff(run: ScenarioRun) -> None:
    _chat(run)
    with pytest.raises(ExpectationFailed) as err:
        run.step(
            "session.get",
            {"user_id": "alice", "session_id": "${s1}"},
            where="f.yaml:9",
            expect=[{"path": "metadata", "equals": {"topic": "x"}}],
        )
    text = str(err.value)
    assert text.startswith("f.yaml:9: step 3 `session.get` expectation failed")
    assert 'expected: {"topic": "x"}' in text and "actual:   {}" in text
    assert '-  "topic": "x"' in text  # unified diff of the structures


def test_raises_matches_class_hierarchy_and_message(run: ScenarioRun) -> None:
    run.step(
        "user.create",
        {"user_id": "../x"},
        where="t:1",
        raises={"error": "ValidationError", "message": "invalid user_id"},
    )
    run.step("user.create", {"user_id": "../x"}, where="t:2", raises={"error": "SecurityError"})
    with pytest.raises(ExpectationFailed, match="expected NotFound, got SecurityError"):
        run.step("user.create", {"user_id": "../x"}, where="t:3", raises={"error": "NotFound"})
    with pytest.raises(ExpectationFailed, match="but the step succeeded"):
        run.step("user.create", {"user_id": "bob"}, where="t:4", raises={"error": "NotFound"})


def test_a_captured_error_is_checked_like_raises(run: ScenarioRun) -> None:
    run.step("user.create", {"user_id": "../x"}, where="t:1", capture_error=True)
    run.check(
        where="t:2",
        label="fails",
        raises={"error": "ValidationError", "matches": r"invalid user_id '\.\./x'"},
    )
    with pytest.raises(ExpectationFailed, match="does not match /nothing like it/"):
        run.check(
            where="t:3",
            label="fails",
            raises={"error": "SecurityError", "matches": "nothing like it"},
        )
    # A result that merely looks like an error is not a failure of the previous step.
    run.step(
        "expect.value",
        {"value": {"error": "NotFound", "message": "x"}},
        where="t:4",
        capture_error=True,
    )
    with pytest.raises(ExpectationFailed, match="but the previous step succeeded"):
        run.check(where="t:5", label="fails", raises={"error": "NotFound"})


def test_unexpected_error_fails_the_step(run: ScenarioRun) -> None:
    with pytest.raises(ExpectationFailed, match=r"t:1: step 1 `session.create` raised NotFound"):
        run.step("session.create", {"user_id": "ghost"}, where="t:1")


def test_unknown_variable_and_empty_save_are_scenario_errors(run: ScenarioRun) -> None:
    with pytest.raises(ScenarioError, match=r"unknown variable \$\{nope\}"):
        run.step("user.get", {"user_id": "${nope}"}, where="t:1")
    run.step("user.create", {"user_id": "alice"}, where="t:2")
    with pytest.raises(ScenarioError, match="found nothing"):
        run.step("user.get", {"user_id": "alice"}, where="t:3", save={"x": "no_such_key"})


def test_write_outside_the_store_root_is_an_invariant_breach(
    run: ScenarioRun, tmp_path: Path
) -> None:
    target = tmp_path / "escaped.txt"
    with pytest.raises(InvariantBreach) as err:
        run.step("test.write_outside", {"target": str(target)}, where="t:7")
    assert "[outside_root]" in str(err.value) and str(target) in str(err.value)
    assert "invariant broken after step 1" in str(err.value)


@pytest.mark.parametrize("switched_on", [True, False])
def test_outside_root_invariant_can_be_switched_off(tmp_path: Path, switched_on: bool) -> None:
    target = tmp_path / "ok.txt"
    with ScenarioRun(
        registry=_registry_with(*_private), invariants={"outside_root": switched_on}
    ) as run:
        if switched_on:  # the same write is a breach while the invariant is on ...
            with pytest.raises(InvariantBreach, match=r"\[outside_root\]"):
                run.step("test.write_outside", {"target": str(target)}, where="t:1")
        else:  # ... and passes, really written, once it is off
            run.step("test.write_outside", {"target": str(target)}, where="t:1")
        assert target.read_text() == "oops"
        assert run.record.steps[0].status == ("failed" if switched_on else "passed")


def test_corrupted_log_is_an_invariant_breach(run: ScenarioRun) -> None:
    _chat(run)
    run.step(
        "message.add",
        {"user_id": "alice", "session_id": "${s1}", "role": "user", "content": "x"},
        where="t:3",
    )
    with pytest.raises(InvariantBreach, match=r"jsonl_invalid.*messages.jsonl:2"):
        run.step("test.corrupt_log", {"user_id": "alice", "session_id": "${s1}"}, where="t:4")


def test_actions_that_really_await_run_on_the_loop(run: ScenarioRun) -> None:
    assert run.step("test.sleep", {"seconds": 0.01}, where="t:1") == "woke"
    with pytest.raises(ExpectationFailed, match="Timeout"):
        run.step("test.sleep", {"seconds": 5}, where="t:2", timeout=0.05)


def test_bad_parameters_after_interpolation(run: ScenarioRun) -> None:
    run.world.variables["n"] = "many"
    with pytest.raises(ScenarioError, match=r"bad parameters after interpolation: limit"):
        run.step("messages.list", {"user_id": "a", "session_id": "b", "limit": "${n}"}, where="t:1")


def test_each_run_is_isolated_and_repeatable() -> None:
    ids = []
    for _ in range(2):
        with ScenarioRun() as run:
            _chat(run)
            message = run.step(
                "message.add",
                {"user_id": "alice", "session_id": "${s1}", "role": "user", "content": "x"},
                where="t",
            )
            ids.append((run.world.variables["s1"], message["message_id"], message["timestamp"]))
            root = run.world.store_root
    assert ids[0] == ids[1]  # same seed, same frozen clock: byte-identical runs
    assert not root.exists()  # the temp store is removed afterwards


def test_telemetry_leaves_a_metric_and_an_audit_line_per_sut_action() -> None:
    with ScenarioRun(telemetry=True) as run:
        _chat(run)  # user.create + session.create
        run.step("clock.advance", {"minutes": 1}, where="t:3")  # runner action: no telemetry
        run.step("session.create", {"user_id": "ghost"}, where="t:4", raises={"error": "NotFound"})
        fs = run.world.store.fs
        ops = fs.read_jsonl(fs.path("analytics", "system_metrics", "performance.jsonl"))
        assert [(o["component"], o["success"]) for o in ops] == [
            ("storage", True),
            ("storage", True),
            ("storage", False),
        ]
        audit = [e for e in run.world.audit.entries() if e["event_type"] == "action_performed"]
        assert [e["details"]["action"] for e in audit] == [
            "user.create",
            "session.create",
            "session.create",
        ]
        assert audit[-1]["outcome"] == "failure"
        assert run.components_used == {"storage"}  # telemetry is not the scenario's doing


class Block(Params):
    seconds: float


@action("test.block", component="storage", registry=_private)
async def block(world, p: Block) -> str:
    """Blocks the thread without awaiting (like an inline store call)."""
    import time

    time.sleep(p.seconds)
    return "done"


@action("test.swallow", component="runner", registry=_private)
async def swallow(world, p: Block) -> str:
    """Blocks, and drops the first StepTimeout (as a gc callback or a broad except would)."""
    import contextlib
    import time

    with contextlib.suppress(TimeoutError):
        time.sleep(p.seconds)
    time.sleep(p.seconds)
    return "done"


def test_a_swallowed_timeout_fires_again() -> None:
    import time

    with ScenarioRun(registry=_registry_with(*_private)) as run:
        started = time.perf_counter()
        with pytest.raises(ExpectationFailed, match="StepTimeout: step exceeded its timeout"):
            run.step("test.swallow", {"seconds": 5}, where="t:1", timeout=0.2)
        assert time.perf_counter() - started < 2


def test_timeout_interrupts_blocking_work() -> None:
    import time

    with ScenarioRun(registry=_registry_with(*_private)) as run:
        started = time.perf_counter()
        with pytest.raises(ExpectationFailed, match="StepTimeout: step exceeded its timeout"):
            run.step("test.block", {"seconds": 5}, where="t:1", timeout=0.2)
        assert time.perf_counter() - started < 2
        assert run.step("test.block", {"seconds": 0.01}, where="t:2", timeout=1) == "done"
        assert "storage" in run.components_used  # the second step reached the action


def test_a_step_that_crashes_in_the_runner_does_not_count_its_component() -> None:
    with ScenarioRun(registry=_registry_with(*_private)) as run:
        with pytest.raises(ExpectationFailed):
            run.step("test.write_outside", {"target": "/nonexistent-dir/x"}, where="t:1")
        assert run.components_used == set()
        run.step("session.create", {"user_id": "ghost"}, where="t:2", raises={"error": "NotFound"})
        assert run.components_used == {"storage"}  # refused by the SUT: it was exercised


def test_every_failing_expectation_of_a_step_is_reported_at_once(run: ScenarioRun) -> None:
    with pytest.raises(ExpectationFailed) as err:
        run.step(
            "expect.value",
            {"value": {"a": 1, "b": "x", "c": [1]}},
            where="f.yaml:4",
            expect=[
                {"path": "a", "equals": 2},
                {"path": "b", "equals": "x"},
                {"path": "c", "length": 3, "contains": 1},
                {"path": "nothing", "not_equals": 1},
            ],
        )
    text = str(err.value)
    assert text.startswith("f.yaml:4: step 1 `expect.value`: 3 of 4 expectations failed\n")
    assert (
        '-- expectation 1 of 4:\n  expect:   {"path": "a", "equals": 2}\n'
        "  matcher:  equals\n  expected: 2\n  actual:   1" in text
    )
    assert "-- expectation 3 of 4:" in text and "matcher:  length" in text
    assert "-- expectation 4 of 4:" in text and "path 'nothing' selected nothing" in text
    assert "expectation 2 of 4" not in text


def test_raises_checks_the_message_of_a_yaml_step(run: ScenarioRun) -> None:
    with pytest.raises(ExpectationFailed) as err:
        run.step(
            "user.create",
            {"user_id": "../x"},
            where="f.yaml:3",
            raises={"error": "ValidationError", "message": "no such words"},
        )
    assert str(err.value).startswith(
        "f.yaml:3: step 1 `user.create`: ValidationError raised, but its message does not "
        "contain 'no such words'\n  message: "
    )
    with pytest.raises(ExpectationFailed, match=r"does not match /\^nothing/"):
        run.step(
            "user.create",
            {"user_id": "../x"},
            where="f.yaml:4",
            raises={"error": "ValidationError", "matches": "^nothing"},
        )
    run.step(
        "user.create",
        {"user_id": "../x"},
        where="f.yaml:5",
        raises={
            "error": "ValidationError",
            "message": "invalid user_id",
            "matches": r"user_id '\.\./x'",
        },
    )


def test_raises_checks_the_message_of_a_captured_error(run: ScenarioRun) -> None:
    """What Gherkin's 'Then it fails with X mentioning "..."' runs."""
    run.step("user.create", {"user_id": "../x"}, where="t:1", capture_error=True)
    with pytest.raises(ExpectationFailed, match="its message does not contain 'no such'"):
        run.check(
            where="t:2", label="fails", raises={"error": "ValidationError", "message": "no such"}
        )
    run.check(
        where="t:3",
        label="fails",
        raises={"error": "ValidationError", "message": "invalid user_id"},
    )


def test_raises_patterns_are_re2(run: ScenarioRun) -> None:
    with pytest.raises(ScenarioError, match="not valid RE2 syntax"):
        run.step(
            "user.create",
            {"user_id": "../x"},
            where="t:1",
            raises={"error": "ValidationError", "matches": "(?<=user)_id"},
        )


def test_a_bad_enum_value_through_a_variable_is_refused_when_the_step_runs(
    run: ScenarioRun,
) -> None:
    run.world.variables.update(role="poet", ok="assistant")
    _chat(run)
    with pytest.raises(
        ScenarioError,
        match=r"step 3 `message.add`: bad parameters after "
        r"interpolation: role: Input should be 'user'",
    ):
        run.step(
            "message.add",
            {"user_id": "alice", "session_id": "${s1}", "role": "${role}", "content": "x"},
            where="t:3",
        )
    run.step(
        "message.add",
        {"user_id": "alice", "session_id": "${s1}", "role": "${ok}", "content": "x"},
        where="t:4",
        expect=[{"path": "role", "equals": "assistant"}],
    )


class _FakeAllureLogger:
    def __init__(self) -> None:
        self.started: list = []
        self.all_stopped: list = []

    def start_step(self, parent, uuid, step) -> None:
        self.started.append(step)

    def stop_step(self, uuid, **fields) -> None:
        self.stopped = fields
        self.all_stopped.append(fields)

    def texts(self) -> list[str]:
        """Everything Allure would show of the steps: titles, parameters, status details."""
        shown = [
            json.dumps([s.name, [(p.name, p.value) for p in s.parameters]], ensure_ascii=False)
            for s in self.started
        ]
        for fields in self.all_stopped:
            details = fields["statusDetails"]
            if details is not None:
                shown += [details.message or "", details.trace or ""]
        return shown


@pytest.fixture
def allure_capture(monkeypatch):
    """An AllureReporter wired to a fake allure-pytest logger: (reporter, logger, attached)."""
    from prism_scenarios import allure_bridge

    reporter = allure_bridge.AllureReporter()
    reporter._logger = logger = _FakeAllureLogger()
    attached: list[str] = []
    monkeypatch.setattr(allure_bridge.allure, "attach", lambda body, **kw: attached.append(body))
    return reporter, logger, attached


def test_env_secrets_are_masked_in_messages_titles_params_and_attachments(monkeypatch) -> None:
    from prism_scenarios import allure_bridge

    secret = "s3cr3t-T0KEN-value"
    monkeypatch.setenv("PRISM_TEST_SECRET", secret)
    monkeypatch.setenv("PRISM_TEST_SHORT", "abc")
    monkeypatch.setenv("PRISM_TEST_OTHER", "other-secret")
    reporter = allure_bridge.AllureReporter()
    reporter._logger = logger = _FakeAllureLogger()
    attached: list[str] = []
    monkeypatch.setattr(allure_bridge.allure, "attach", lambda body, **kw: attached.append(body))
    with ScenarioRun(reporter=reporter) as run:
        params = {
            "value": {"auth": "Bearer ${env:PRISM_TEST_SECRET}", "pin": "${env:PRISM_TEST_SHORT}"}
        }
        with pytest.raises(ExpectationFailed) as err:
            run.step(
                "expect.value",
                params,
                where="t:1",
                expect=[{"path": "auth", "equals": "Bearer nope"}],
            )
        record = run.record.steps[0]
        assert record.result["auth"] == f"Bearer {secret}"  # expectations see real values
        # The secret comes back in a saved variable and in a later step's result.
        run.step(
            "expect.value", {"value": "${env:PRISM_TEST_SECRET}"}, where="t:2", save={"token": "@"}
        )
        with pytest.raises(ExpectationFailed) as later:
            run.step(
                "expect.value",
                {"value": "token=${token}"},
                where="t:3",
                expect=[{"equals": "token=other"}],
            )
        with pytest.raises(ExpectationFailed) as expected:  # a secret in an expectation
            run.step(
                "expect.value",
                {"value": "x"},
                where="t:4",
                expect=[{"equals": "${env:PRISM_TEST_OTHER}"}],
            )
    assert "Bearer ***" in str(err.value) and secret not in str(err.value)
    assert secret not in str(later.value) and "token=***" in str(later.value)
    assert "other-secret" not in str(expected.value) and 'expected: "***"' in str(expected.value)
    assert record.title == 'expect.value(value={"auth": "Bearer ***", "pin": "***"})'
    assert record.params == {"value": {"auth": "Bearer ***", "pin": "***"}}
    assert run.record.steps[2].params == {"value": "token=***"}
    shown = [
        json.dumps([s.name, [(p.name, p.value) for p in s.parameters]]) for s in logger.started
    ]
    assert len(attached) == 4 and len(shown) == 4
    for text in [*shown, *attached, logger.stopped["statusDetails"].message]:
        assert secret not in text
    assert "Bearer ***" in attached[0] and "token=***" in attached[2]


def test_a_secret_in_the_action_s_own_error_does_not_leave_the_engine(monkeypatch) -> None:
    secret = "s3cr3t-T0KEN-value"
    monkeypatch.setenv("PRISM_TEST_SECRET", secret)
    with ScenarioRun() as run:
        with pytest.raises(ExpectationFailed) as err:
            run.step("user.create", {"user_id": "../${env:PRISM_TEST_SECRET}"}, where="t:1")
        record = run.record.steps[0]
    assert "raised SecurityError: invalid user_id '../***'" in str(err.value)
    assert secret not in str(err.value)
    cause = err.value.__cause__  # still chained (pytest may print it), its text masked
    assert type(cause).__name__ == "SecurityError" and secret not in str(cause)
    assert secret not in json.dumps([cause.args, cause.message, cause.context])
    assert record.error is cause and secret not in json.dumps(record.shown_result)
    assert secret in record.result["message"]  # the real error stays for `raises`


# A secret JSON and repr both escape (", ', \\), and every form it then takes.
ESCAPED_SECRET = "s3cr\"et\\v'al"
ESCAPED_FORMS = [
    ESCAPED_SECRET,
    json.dumps(ESCAPED_SECRET)[1:-1],
    repr(ESCAPED_SECRET)[1:-1],
    json.dumps(repr(ESCAPED_SECRET)[1:-1])[1:-1],
    repr(json.dumps(ESCAPED_SECRET)[1:-1])[1:-1],
]


def _assert_hidden(forms: list[str], *texts: str) -> None:
    for text in texts:
        for form in forms:
            assert form not in text, (form, text)


def _failure(run: ScenarioRun, *args, **kwargs) -> BaseException:
    with pytest.raises(BaseException) as err:
        run.step(*args, **kwargs)
    return err.value


def test_a_secret_that_json_and_repr_escape_is_masked_in_every_message(
    monkeypatch, allure_capture
) -> None:
    """Masking only the finished text missed the JSON- and repr-escaped forms: values are
    now masked before they are formatted, and the text in every form after."""
    assert len(set(ESCAPED_FORMS)) == len(ESCAPED_FORMS)  # the forms really differ
    monkeypatch.setenv("PRISM_TEST_SECRET", ESCAPED_SECRET)
    reporter, logger, attached = allure_capture
    value = {"value": {"token": "${env:PRISM_TEST_SECRET}", "n": 1}}
    with ScenarioRun(reporter=reporter) as run:
        errors = [
            # matcher wording (JSON) and the expect/expected/actual lines
            _failure(
                run,
                "expect.value",
                value,
                where="t:1",
                expect=[{"path": "token", "equals": "x"}, {"contains": {"token": "y"}}],
            ),
            # jsonschema words the value with repr
            _failure(
                run,
                "expect.value",
                value,
                where="t:2",
                expect=[{"path": "token", "schema": {"type": "integer"}}],
            ),
            # pydantic's input, shown with repr
            _failure(
                run,
                "messages.list",
                {"user_id": "a", "session_id": "b", "limit": "${env:PRISM_TEST_SECRET}"},
                where="t:3",
            ),
            # the action's own error (repr inside), through `raises`
            _failure(
                run,
                "user.create",
                {"user_id": "../${env:PRISM_TEST_SECRET}"},
                where="t:4",
                raises={"error": "NotFound"},
            ),
            # a save that finds nothing shows the result
            _failure(run, "expect.value", value, where="t:5", save={"x": "nothing"}),
        ]
    texts = [str(e) for e in errors]
    assert 'expected "x", got "***"' in texts[0] and "is not of type" in texts[1]
    assert "limit:" in texts[2] and "SecurityError: invalid user_id '../***'" in texts[3]
    _assert_hidden(ESCAPED_FORMS, *texts, *attached, *logger.texts())


def test_a_secret_cut_by_the_message_limit_leaves_no_prefix(monkeypatch, allure_capture) -> None:
    """`_show` cuts at 300 characters; cutting before masking left `PLAINSECR…`."""
    secret = "PLAINSECRETVALUE"
    monkeypatch.setenv("PRISM_TEST_SECRET", secret)
    reporter, logger, attached = allure_capture
    with ScenarioRun(reporter=reporter) as run:
        error = _failure(
            run,
            "expect.value",
            {"value": "y" * 290 + "${env:PRISM_TEST_SECRET}"},
            where="t:1",
            expect=[{"equals": "z"}],
        )
    # The secret straddled the cut at 300: masked before the cut, not as a stub after it.
    assert f'  actual:   "{"y" * 290}***"' in str(error).splitlines()
    _assert_hidden([secret[:4]], str(error), *attached, *logger.texts())


def test_an_error_that_is_not_a_scenario_failure_is_masked_with_its_chain(
    monkeypatch, allure_capture
) -> None:
    from prism_scenarios import matchers

    monkeypatch.setenv("PRISM_TEST_SECRET", ESCAPED_SECRET)
    reporter, logger, attached = allure_capture

    def crash(actual, expected):
        try:
            raise KeyError(actual)  # str() of a KeyError is the repr of its key
        except KeyError as exc:
            raise RuntimeError(f"no entry for {actual!r}") from exc

    class Opaque(Exception):
        def __str__(self) -> str:  # words the secret from outside its args
            return f"opaque {ESCAPED_SECRET}"

    def opaque(actual, expected):
        raise Opaque()

    secret = {"value": "${env:PRISM_TEST_SECRET}"}
    with ScenarioRun(reporter=reporter) as run:
        # JMESPath's own type error keeps the value in attributes its message is built from
        jmes = _failure(
            run, "expect.value", secret, where="t:1", expect=[{"path": "abs(@)", "equals": 1}]
        )
        monkeypatch.setitem(matchers.MATCHERS, "equals", crash)
        chained = _failure(run, "expect.value", secret, where="t:2", expect=[{"equals": 1}])
        monkeypatch.setitem(matchers.MATCHERS, "equals", opaque)
        stand_in = _failure(run, "expect.value", secret, where="t:3", expect=[{"equals": 1}])
        statuses = [s.status for s in run.record.steps]
    assert type(jmes).__name__ == "JMESPathTypeError" and "value: ***," in str(jmes)
    assert isinstance(chained, RuntimeError) and isinstance(chained.__cause__, KeyError)
    assert str(chained) == "no entry for '***'" and str(chained.__cause__) == "'***'"
    assert type(stand_in).__name__ == "SecretMasked" and str(stand_in) == "Opaque: opaque ***"
    assert stand_in.__suppress_context__ and statuses == ["broken"] * 3
    texts = [str(jmes), repr(jmes.args), str(chained), repr(chained.__cause__), str(stand_in)]
    _assert_hidden(ESCAPED_FORMS, *texts, *attached, *logger.texts())


@pytest.mark.parametrize(
    "expectation,message",
    [
        ({"gt": "${v}"}, '`gt` takes a number, got "abc"'),
        ({"le": "${v}"}, '`le` takes a number, got "abc"'),
        (
            {"type": "${t}"},
            "`type` takes one of string, integer, number, boolean, object, array, "
            'null, got "strin"',
        ),
        ({"length": "${v}"}, '`length` takes a non-negative integer, got "abc"'),
        ({"length": -1}, "`length` takes a non-negative integer, got -1"),
        ({"matches": 3}, "`matches` takes a regular expression string, got 3"),
        ({"schema": "${v}"}, '`schema` takes an object (a JSON Schema), got "abc"'),
        ({"schema": {"type": 5}}, "`schema` takes a valid JSON Schema: 5 is not valid"),
        ({"is_null": "${v}"}, '`is_null` takes true or false, got "abc"'),
    ],
)
def test_an_expected_value_of_the_wrong_kind_is_a_scenario_error_at_the_step(
    run: ScenarioRun, expectation, message: str
) -> None:
    run.world.variables.update(v="abc", t="strin")
    with pytest.raises(ScenarioError) as err:
        run.step(
            "expect.value", {"value": 1}, where="f.yaml:7", expect=[{"equals": 1}, expectation]
        )
    assert str(err.value).startswith(
        "scenario error: f.yaml:7: step 1 `expect.value`: expectation 2: " + message
    )
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert run.record.steps[0].status == "failed"


def test_a_secret_expected_value_of_the_wrong_kind_is_masked(monkeypatch) -> None:
    """`type: ${env:X}` raised a bare KeyError showing the value."""
    monkeypatch.setenv("PRISM_TEST_SECRET", ESCAPED_SECRET)
    with ScenarioRun() as run, pytest.raises(ScenarioError) as err:
        run.step(
            "expect.value",
            {"value": 1},
            where="f.yaml:2",
            expect=[{"type": "${env:PRISM_TEST_SECRET}"}],
        )
    assert str(err.value).endswith('null, got "***"')
    _assert_hidden(ESCAPED_FORMS, str(err.value))
