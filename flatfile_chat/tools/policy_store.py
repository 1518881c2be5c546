"""Per-user security policy: ``users/{u}/tools/security_policies.json``.

The file holds the user's effective policy (a snapshot of ``tool_execution.security_policy``
taken when the user's tools are initialised, then changed only through
:meth:`PolicyStore.update`), ``custom_policies`` (free-form, kept), and ``security_events``:
the log of policy *changes* (who changed what, when). Denials and other security events go to
the audit log file, not here (upstream kept them in an in-memory list that was lost on
restart).
"""

from __future__ import annotations

from typing import Any

from flatfile_chat.config.tools import FFToolSecurityPolicyDTO
from flatfile_chat.errors import ValidationError
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.paths import ToolPaths
from flatfile_chat.validation import parse_input


class PolicyStore:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths

    def ensure(self, user_id: str) -> None:
        path = self._paths.policies(user_id)
        if path.is_file():
            return
        fs = self._ctx.fs
        with fs.lock(path):
            if path.is_file():
                return
            fs.write_json(
                path,
                {
                    "user_id": user_id,
                    "created_at": self._ctx.now_iso(),
                    "security_policy": self._ctx.config.tool_execution.security_policy.model_dump(
                        mode="json"
                    ),
                    "custom_policies": {},
                    "security_events": [],
                },
            )

    def get(self, user_id: str) -> FFToolSecurityPolicyDTO:
        doc = self._ctx.fs.read_json(self._paths.policies(user_id), default=None)
        if doc is None:
            return self._ctx.config.tool_execution.security_policy
        return FFToolSecurityPolicyDTO.model_validate(doc["security_policy"])

    def update(
        self, user_id: str, changes: dict[str, Any], *, changed_by: str
    ) -> FFToolSecurityPolicyDTO:
        """Validate the merged policy first; a refused change writes nothing."""
        if not isinstance(changes, dict) or not changes:
            raise ValidationError("policy changes must be a non-empty mapping", key="changes")
        self.ensure(user_id)
        fs, path = self._ctx.fs, self._paths.policies(user_id)
        with fs.lock(path):
            doc = fs.read_json(path)
            policy = parse_input(
                FFToolSecurityPolicyDTO, {**doc["security_policy"], **changes}, "security policy"
            )
            doc["security_policy"] = policy.model_dump(mode="json")
            doc["security_events"].append(
                {
                    "timestamp": self._ctx.now_iso(),
                    "event_type": "policy_updated",
                    "changed_by": changed_by,
                    "changes": changes,
                }
            )
            fs.write_json(path, doc)
        return policy
