"""A tool in ``require_approval`` runs only after an approve call, once per granted use."""

from __future__ import annotations

from typing import Any

import pytest

from flatfile_chat.errors import NotFound, ValidationError

WC = {"command": "wc", "args": ["-w", "a.txt"], "files": {"a.txt": "one two three"}}


@pytest.fixture
def t(tools: Any) -> Any:
    tools.set_policy(require_approval=["sandbox_command"], cooldown_seconds=0)
    return tools


def test_pending_request_then_approve_then_run_once(t: Any, spawn_spy: list[list[str]]) -> None:
    refused = t.execute("sandbox_command", WC, cache_result=False)
    approval_id = refused.integration_context["pending_approval_id"]
    assert refused.denial_reason == "approval_required" and spawn_spy == []
    again = t.execute("sandbox_command", WC, cache_result=False)
    assert again.integration_context["pending_approval_id"] == approval_id  # reused

    granted = t.run(t.executor.approve(t.user, approval_id, approved_by="lead"))
    assert (granted.status, granted.uses_remaining, granted.approved_by) == ("approved", 1, "lead")
    ran = t.execute("sandbox_command", WC, cache_result=False)
    assert ran.success and ran.result_data == "3 a.txt\n"
    assert ran.integration_context["approval_id"] == approval_id
    assert t.history()[-1]["approval_id"] == approval_id
    assert len(spawn_spy) >= 1

    # the single use is spent: the same request needs a new approval
    after = t.execute("sandbox_command", WC, cache_result=False)
    assert after.denial_reason == "approval_required"
    stored = t.store.fs.read_json(t.tools_file("approvals.json"))["approvals"][approval_id]
    assert stored["status"] == "consumed" and stored["consumed_by"] == [ran.execution_id]
    assert [e["event_type"] for e in t.audit.entries()].count("tool_approval_granted") == 1


def test_approval_pins_the_parameters(t: Any) -> None:
    refused = t.execute("sandbox_command", WC)
    t.run(t.executor.approve(t.user, refused.integration_context["pending_approval_id"]))
    other = dict(WC, args=["-l", "a.txt"])
    assert t.execute("sandbox_command", other).denial_reason == "approval_required"
    assert t.execute("sandbox_command", WC).success


def test_grant_up_front_with_uses_and_expiry(t: Any) -> None:
    t.run(t.executor.approve(t.user, tool_id="sandbox_command", uses=2, ttl_seconds=60))
    assert t.execute("sandbox_command", WC, cache_result=False).success
    t.clock.advance(seconds=61)
    expired = t.execute("sandbox_command", WC, cache_result=False)
    assert expired.denial_reason == "approval_required"


def test_rejected_request_never_runs(t: Any) -> None:
    refused = t.execute("sandbox_command", WC)
    approval_id = refused.integration_context["pending_approval_id"]
    rejected = t.run(t.executor.reject_approval(t.user, approval_id, rejected_by="lead"))
    assert rejected.status == "rejected"
    with pytest.raises(ValidationError, match="is rejected, not pending"):
        t.run(t.executor.approve(t.user, approval_id))
    assert t.execute("sandbox_command", WC).denial_reason == "approval_required"


def test_approve_refuses_bad_input(t: Any) -> None:
    with pytest.raises(NotFound, match="approval apr_nope not found"):
        t.run(t.executor.approve(t.user, "apr_nope"))
    with pytest.raises(NotFound, match="Tool nope not found or not available"):
        t.run(t.executor.approve(t.user, tool_id="nope"))
    with pytest.raises(ValidationError, match="either approval_id"):
        t.run(t.executor.approve(t.user))
    with pytest.raises(ValidationError, match="uses must be at least 1"):
        t.run(t.executor.approve(t.user, tool_id="sandbox_command", uses=0))
