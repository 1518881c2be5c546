"""Analytics refusals name the field they are about (``key``/``value``), and inputs a typed
scenario step cannot send (a non-boolean success or consent, a non-text name) are refused."""

from __future__ import annotations

import math
from asyncio import run
from typing import Any

import pytest

from flatfile_chat.errors import SecurityError, ValidationError


def _refusal(error: type[Exception], call: Any) -> Any:
    with pytest.raises(error) as caught:
        run(call)
    return caught.value


@pytest.mark.parametrize("component", [None, 3, "", " ", "c" * 101])
def test_a_component_must_be_short_text(an, component: Any) -> None:
    _store, manager = an
    refused = _refusal(ValidationError, manager.record_operation(component, 1.0))
    assert str(refused) == "component must be a string of 1..100 characters"
    assert (refused.key, refused.value) == ("component", component)


@pytest.mark.parametrize("error_type", [3, "", "e" * 101])
def test_an_error_type_must_be_short_text(an, error_type: Any) -> None:
    _store, manager = an
    refused = _refusal(
        ValidationError, manager.record_operation("kb", 1.0, False, error_type=error_type)
    )
    assert str(refused) == "error_type must be a string of 1..100 characters"
    assert (refused.key, refused.value) == ("error_type", error_type)


@pytest.mark.parametrize("duration", [True, "5", -1, math.inf, math.nan, None])
def test_a_duration_must_be_a_finite_number(an, duration: Any) -> None:
    _store, manager = an
    refused = _refusal(ValidationError, manager.record_operation("kb", duration))
    assert str(refused) == "duration_ms must be a finite number >= 0"
    assert refused.key == "duration_ms"


@pytest.mark.parametrize("success", [1, "yes", None])
def test_success_must_be_a_boolean(an, success: Any) -> None:
    store, manager = an
    refused = _refusal(ValidationError, manager.record_operation("kb", 1, success))
    assert str(refused) == "success must be true or false"
    assert (refused.key, refused.value) == ("success", success)
    assert not store.fs.path("analytics", "system_metrics", "performance.jsonl").exists()


def test_integer_durations_and_limits_are_accepted(an) -> None:
    _store, manager = an
    record = run(manager.record_operation("c" * 100, 0, error_type="e" * 100))
    assert (record["duration_ms"], type(record["duration_ms"])) == (0.0, float)


@pytest.mark.parametrize("consented", [1, "yes", None])
def test_consent_must_be_a_boolean(an, consented: Any) -> None:
    _store, manager = an
    refused = _refusal(ValidationError, manager.set_user_consent("alice", consented=consented))
    assert (str(refused), refused.key) == ("consented must be true or false", "consented")


@pytest.mark.parametrize("name", [None, 3, " "])
def test_a_trace_needs_a_name(an, name: Any) -> None:
    _store, manager = an
    refused = _refusal(
        ValidationError, manager.record_trace("alice", "s1", name, [{"event": "x"}], 1)
    )
    assert (str(refused), refused.key) == ("a trace needs a name", "name")


def test_a_hostile_id_is_audited_with_its_kind(an) -> None:
    store, manager = an
    _refusal(SecurityError, manager.record_user_analytics("alice", "../s", "session_start"))
    [entry] = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    assert (entry["event_type"], entry["outcome"]) == ("analytics_access_denied", "denied")
    assert entry["details"] == {"reason": "hostile session_id refused", "key": "session_id"}


@pytest.mark.parametrize("notes", [None, 3, "n" * 2001])
def test_resolution_notes_are_bounded_text(an, notes: Any) -> None:
    _store, manager = an
    [alert] = run(manager.evaluate_alerts({"error_rate_percent": 99}))
    refused = _refusal(ValidationError, manager.resolve_alert(alert.alert_id, notes))
    assert refused.key == "resolution_notes"


def test_a_metric_that_is_not_a_number_names_itself(an) -> None:
    _store, manager = an
    refused = _refusal(ValidationError, manager.evaluate_alerts({"cpu_percent": [1]}))
    assert (refused.key, refused.value) == ("cpu_percent", [1])
    assert run(manager.evaluate_alerts({"cpu_percent": None, "label": "x"})) == []


def test_period_and_disabled_reports_name_their_setting(an, analytics_factory) -> None:
    _store, manager = an
    period = _refusal(ValidationError, manager.generate_business_intelligence("year"))
    assert (period.key, period.value) == ("period", "year")
    _store2, off = analytics_factory({"enable_business_intelligence": False})
    disabled = _refusal(ValidationError, off.generate_business_intelligence("day"))
    assert disabled.key == "enable_business_intelligence"
