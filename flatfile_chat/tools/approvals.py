"""Approvals for tools listed in ``require_approval`` (``users/{u}/tools/approvals.json``).

Format: ``{"user_id": u, "approvals": {approval_id: FFToolApprovalDTO}}``. A refused call
creates (or reuses) a ``pending`` record holding the tool, its parameters and their hash. An
approver turns it into ``approved`` (``approve``), or grants one up front for a tool, with or
without pinned parameters. An approval has an expiry and a number of uses; each execution that
passes the checks consumes one use (``consumed_by`` lists the execution ids), and at zero it
becomes ``consumed``. Everything is read-modify-write under the file's lock, so one use is
never spent twice, across processes too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flatfile_chat.clock import isoformat, parse_timestamp
from flatfile_chat.errors import NotFound, ValidationError
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.cache import parameters_hash
from flatfile_chat.tools.models import FFToolApprovalDTO
from flatfile_chat.tools.paths import ToolPaths


class ApprovalStore:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths

    def _load(self, user_id: str) -> dict[str, Any]:
        return self._ctx.fs.read_json(
            self._paths.approvals(user_id), default={"user_id": user_id, "approvals": {}}
        )

    def _save(self, user_id: str, doc: dict[str, Any]) -> None:
        self._ctx.fs.write_json(self._paths.approvals(user_id), doc)

    def list(self, user_id: str, status: str | None = None) -> list[FFToolApprovalDTO]:
        records = [
            FFToolApprovalDTO.model_validate(r) for r in self._load(user_id)["approvals"].values()
        ]
        return [r for r in records if status is None or r.status == status]

    def find_valid(
        self, user_id: str, tool_id: str, parameters: dict[str, Any], now: datetime
    ) -> FFToolApprovalDTO | None:
        """An approved, unexpired approval with uses left that matches; pinned ones first."""
        wanted = parameters_hash(parameters)
        candidates = [
            a
            for a in self.list(user_id, "approved")
            if a.tool_id == tool_id
            and a.uses_remaining > 0
            and (a.parameters_hash is None or a.parameters_hash == wanted)
            and a.expires_at is not None
            and parse_timestamp(a.expires_at) > now
        ]
        candidates.sort(key=lambda a: (a.parameters_hash is None, a.expires_at, a.approval_id))
        return candidates[0] if candidates else None

    def request(
        self,
        user_id: str,
        tool_id: str,
        parameters: dict[str, Any],
        *,
        execution_id: str,
        requested_by: str,
    ) -> FFToolApprovalDTO:
        """A pending approval for this tool + parameters (reused if one is already open)."""
        wanted = parameters_hash(parameters)
        path = self._paths.approvals(user_id)
        with self._ctx.fs.lock(path):
            doc = self._load(user_id)
            for raw in doc["approvals"].values():
                if (
                    raw["status"] == "pending"
                    and raw["tool_id"] == tool_id
                    and raw["parameters_hash"] == wanted
                ):
                    return FFToolApprovalDTO.model_validate(raw)
            record = FFToolApprovalDTO(
                approval_id=self._ctx.ids.prefixed("apr", 12),
                tool_id=tool_id,
                status="pending",
                parameters_hash=wanted,
                parameters=parameters,
                requested_at=self._ctx.now_iso(),
                requested_by=requested_by,
                request_execution_id=execution_id,
            )
            doc["approvals"][record.approval_id] = record.to_dict()
            self._save(user_id, doc)
        return record

    def approve(
        self,
        user_id: str,
        approval_id: str | None,
        *,
        tool_id: str | None,
        parameters: dict[str, Any] | None,
        approved_by: str,
        uses: int,
        ttl_seconds: float,
    ) -> FFToolApprovalDTO:
        if uses < 1:
            raise ValidationError("uses must be at least 1", key="uses")
        if ttl_seconds <= 0:
            raise ValidationError("ttl_seconds must be positive", key="ttl_seconds")
        if (approval_id is None) == (tool_id is None):
            raise ValidationError(
                "give either approval_id (a pending request) or tool_id (a grant up front)",
                key="approval_id",
            )
        now = self._ctx.clock.now()
        grant: dict[str, Any] = {
            "status": "approved",
            "approved_by": approved_by,
            "approved_at": isoformat(now),
            "expires_at": isoformat(now + timedelta(seconds=ttl_seconds)),
            "uses_remaining": uses,
        }
        path = self._paths.approvals(user_id)
        with self._ctx.fs.lock(path):
            doc = self._load(user_id)
            if approval_id is not None:
                raw = doc["approvals"].get(approval_id)
                if raw is None:
                    raise NotFound(
                        f"approval {approval_id} not found", key="approval_id", value=approval_id
                    )
                if raw["status"] != "pending":
                    raise ValidationError(
                        f"approval {approval_id} is {raw['status']}, not pending", key="approval_id"
                    )
                raw.update(grant)
            else:
                record = FFToolApprovalDTO(
                    approval_id=self._ctx.ids.prefixed("apr", 12),
                    tool_id=tool_id or "",
                    parameters_hash=None if parameters is None else parameters_hash(parameters),
                    parameters=parameters,
                    requested_at=isoformat(now),
                    requested_by=approved_by,
                    **grant,
                )
                raw = record.to_dict()
                doc["approvals"][record.approval_id] = raw
            self._save(user_id, doc)
        return FFToolApprovalDTO.model_validate(raw)

    def reject(self, user_id: str, approval_id: str, *, rejected_by: str) -> FFToolApprovalDTO:
        path = self._paths.approvals(user_id)
        with self._ctx.fs.lock(path):
            doc = self._load(user_id)
            raw = doc["approvals"].get(approval_id)
            if raw is None:
                raise NotFound(
                    f"approval {approval_id} not found", key="approval_id", value=approval_id
                )
            raw.update(
                status="rejected",
                rejected_by=rejected_by,
                rejected_at=self._ctx.now_iso(),
                uses_remaining=0,
            )
            self._save(user_id, doc)
        return FFToolApprovalDTO.model_validate(raw)

    def consume(self, user_id: str, approval_id: str, execution_id: str, now: datetime) -> bool:
        """Spend one use; False if someone else spent the last one (or it expired) first."""
        path = self._paths.approvals(user_id)
        with self._ctx.fs.lock(path):
            doc = self._load(user_id)
            raw = doc["approvals"].get(approval_id)
            if (
                raw is None
                or raw["status"] != "approved"
                or raw["uses_remaining"] < 1
                or parse_timestamp(raw["expires_at"]) <= now
            ):
                return False
            raw["uses_remaining"] -= 1
            raw["consumed_by"].append(execution_id)
            if raw["uses_remaining"] == 0:
                raw["status"] = "consumed"
            self._save(user_id, doc)
        return True
