"""``FFToolRegistryManager``: per-user tool registry, policy, and the request pre-check.

``users/{u}/tools/tool_registry.json`` holds every tool the user can call (built-ins, kept in
step with the code on every initialisation, plus user-registered tools) and
``tool_statistics``, which is derived from ``execution_history.jsonl`` (the integrity check
compares them; :meth:`recompute_statistics` rebuilds them).
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema

from flatfile_chat.audit import AuditSink
from flatfile_chat.errors import AlreadyExists, NotFound, ValidationError
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store import FFStorageManager
from flatfile_chat.tools.builtins import BUILTIN_TOOL_IDS, builtin_definitions
from flatfile_chat.tools.commands import CommandPolicy
from flatfile_chat.tools.handlers import handler_for
from flatfile_chat.tools.integrity import check_tool_files
from flatfile_chat.tools.models import RISK_LEVELS, FFToolDefinitionDTO, ToolCategory
from flatfile_chat.tools.paths import ToolPaths
from flatfile_chat.tools.policy_store import PolicyStore
from flatfile_chat.validation import parse_input

COMPONENT = "tool_execution"


class FFToolRegistryManager:
    def __init__(self, store: FFStorageManager, *, audit: AuditSink | None = None) -> None:
        self.store = store
        self.config = store.config.tool_execution
        self._ctx = store.ctx
        self.paths = ToolPaths(store.ctx.fs)
        self.policies = PolicyStore(store.ctx, self.paths)
        self.audit = audit
        self._builtins_memo: tuple[tuple[str, ...], dict[str, dict[str, Any]]] | None = None
        store.integrity.register(check_tool_files)

    # -- async API (upstream ToolRegistryProtocol) -----------------------------------------
    async def initialize_user_tools(self, user_id: str) -> dict[str, Any]:
        return await self.store.run_io(self.ensure_initialized, user_id)

    async def register_tool(
        self, user_id: str, tool_definition: FFToolDefinitionDTO | dict[str, Any]
    ) -> FFToolDefinitionDTO:
        return await self.store.run_io(self._register, user_id, tool_definition)

    async def unregister_tool(self, user_id: str, tool_id: str) -> FFToolDefinitionDTO:
        return await self.store.run_io(self._unregister, user_id, tool_id)

    async def get_tool(self, user_id: str, tool_id: str) -> FFToolDefinitionDTO:
        return await self.store.run_io(self._get_required, user_id, tool_id)

    async def get_available_tools(
        self, user_id: str, category_filter: str | None = None, security_level: str | None = None
    ) -> list[FFToolDefinitionDTO]:
        return await self.store.run_io(self._available, user_id, category_filter, security_level)

    async def validate_tool_request(self, user_id: str, request: Any) -> tuple[bool, str]:
        """Dry run of the policy checks (nothing is run, claimed or written)."""
        from flatfile_chat.tools.executor import dry_run_checks

        return await self.store.run_io(dry_run_checks, self, user_id, request)

    async def get_security_policy(self, user_id: str) -> Any:
        return await self.store.run_io(self.get_policy, user_id)

    async def update_security_policy(
        self, user_id: str, changes: dict[str, Any], *, changed_by: str = "system"
    ) -> Any:
        return await self.store.run_io(self._update_policy, user_id, changes, changed_by)

    async def recompute_statistics(self, user_id: str) -> dict[str, Any]:
        return await self.store.run_io(self.rebuild_statistics, user_id)

    # -- sync implementation ---------------------------------------------------------------
    def ensure_initialized(self, user_id: str) -> dict[str, Any]:
        """Create the registry and policy files, or bring built-ins up to date."""
        validate_id(user_id, "user_id")
        self.store.users.require(user_id)
        fs, path = self._ctx.fs, self.paths.registry(user_id)
        fs.ensure_dir(path.parent)
        self.policies.ensure(user_id)
        current = self._builtins()
        doc = fs.read_json(path, default=None)
        if doc is not None and all(
            doc["registered_tools"].get(k, {}) | {"registered_at": ""} == v
            for k, v in current.items()
        ):
            return doc
        with fs.lock(path):
            now = self._ctx.now_iso()
            doc = fs.read_json(path, default=None) or {
                "user_id": user_id,
                "created_at": now,
                "last_updated": now,
                "registered_tools": {},
                "tool_statistics": {},
            }
            for tool_id, built in current.items():
                definition = copy.deepcopy(built)  # the memo is shared: never hand it out
                old = doc["registered_tools"].get(tool_id, {})
                definition["registered_at"] = old.get("registered_at") or now
                doc["registered_tools"][tool_id] = definition
                doc["tool_statistics"].setdefault(tool_id, _new_stats(now))
            doc["last_updated"] = now
            fs.write_json(path, doc)
        return doc

    def _builtins(self) -> dict[str, dict[str, Any]]:
        """Built-in definitions as stored, with ``registered_at`` blanked; built once per
        manager and rebuilt only if the config they depend on (the translation languages)
        changes. Read-only: callers copy before changing or storing them."""
        languages = tuple(self.config.translation_languages)
        memo = self._builtins_memo
        if memo is None or memo[0] != languages:
            memo = self._builtins_memo = (
                languages,
                {
                    d.tool_id: d.to_dict() | {"registered_at": ""}
                    for d in builtin_definitions(self.config)
                },
            )
        return memo[1]

    def read_registry(self, user_id: str) -> dict[str, Any]:
        doc = self._ctx.fs.read_json(self.paths.registry(user_id), default=None)
        return doc if doc is not None else self.ensure_initialized(user_id)

    def lookup(
        self, user_id: str, tool_id: str, registry: dict[str, Any] | None = None
    ) -> FFToolDefinitionDTO | None:
        """The active definition, or None (unknown, inactive, or an invalid id).
        ``registry``: an already loaded registry document, to save a read."""
        if not isinstance(tool_id, str) or not tool_id:
            return None
        doc = registry if registry is not None else self.read_registry(user_id)
        raw = doc["registered_tools"].get(tool_id)
        if raw is None:
            return None
        definition = FFToolDefinitionDTO.model_validate(raw)
        return definition if definition.is_active else None

    def _get_required(self, user_id: str, tool_id: str) -> FFToolDefinitionDTO:
        definition = self.lookup(user_id, tool_id)
        if definition is None:
            raise NotFound(
                f"Tool {tool_id} not found or not available", key="tool_id", value=tool_id
            )
        return definition

    def get_policy(self, user_id: str) -> Any:
        self.ensure_initialized(user_id)
        return self.policies.get(user_id)

    def _update_policy(self, user_id: str, changes: dict[str, Any], changed_by: str) -> Any:
        self.ensure_initialized(user_id)
        policy = self.policies.update(user_id, changes, changed_by=changed_by)
        if self.audit is not None:
            self.audit.record(
                "tool_policy_updated",
                component=COMPONENT,
                actor=user_id,
                details={"changed_by": changed_by, "changes": changes},
            )
        return policy

    def _available(
        self, user_id: str, category_filter: str | None, security_level: str | None
    ) -> list[FFToolDefinitionDTO]:
        """Tools compatible with the policy: category allowed, not blocked, fast enough."""
        if security_level is not None and security_level not in RISK_LEVELS:
            raise ValidationError(
                f"security_level must be one of {', '.join(RISK_LEVELS)}", key="security_level"
            )
        policy = self.get_policy(user_id)
        tools = []
        for raw in self.read_registry(user_id)["registered_tools"].values():
            definition = FFToolDefinitionDTO.model_validate(raw)
            if not definition.is_active or definition.tool_id in policy.blocked_tools:
                continue
            if definition.category.value not in policy.allowed_categories:
                continue
            if definition.estimated_duration_seconds > policy.max_execution_time_seconds:
                continue
            if category_filter is not None and definition.category.value != category_filter:
                continue
            if security_level is not None and (
                RISK_LEVELS.index(definition.security_risk_level)
                > RISK_LEVELS.index(security_level)
            ):
                continue
            tools.append(definition)
        return sorted(tools, key=lambda d: d.tool_id)

    def _register(
        self, user_id: str, tool_definition: FFToolDefinitionDTO | dict[str, Any]
    ) -> FFToolDefinitionDTO:
        definition = self._validate_definition(tool_definition)
        self.ensure_initialized(user_id)
        fs, path = self._ctx.fs, self.paths.registry(user_id)
        with fs.lock(path):
            doc = fs.read_json(path)
            now = self._ctx.now_iso()
            old = doc["registered_tools"].get(definition.tool_id)
            stored = definition.model_copy(
                update={"builtin": False, "registered_at": (old or {}).get("registered_at") or now}
            )
            doc["registered_tools"][definition.tool_id] = stored.to_dict()
            doc["tool_statistics"].setdefault(definition.tool_id, _new_stats(now))
            doc["last_updated"] = now
            fs.write_json(path, doc)
        if self.audit is not None:
            self.audit.record(
                "tool_registered",
                component=COMPONENT,
                actor=user_id,
                details={
                    "tool_id": definition.tool_id,
                    "category": definition.category.value,
                    "security_risk_level": definition.security_risk_level,
                    "replaced": old is not None,
                },
            )
        return stored

    def _validate_definition(
        self, raw: FFToolDefinitionDTO | dict[str, Any]
    ) -> FFToolDefinitionDTO:
        data = raw.to_dict() if isinstance(raw, FFToolDefinitionDTO) else dict(raw)
        tool_id, name = data.get("tool_id"), data.get("name")
        if not isinstance(tool_id, str) or not tool_id.strip():
            raise ValidationError("tool_id must not be empty", key="tool_id")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name must not be empty", key="name")
        validate_id(tool_id, "tool_id")
        if tool_id in BUILTIN_TOOL_IDS:
            raise AlreadyExists(
                f"tool_id {tool_id!r} is a built-in tool", key="tool_id", value=tool_id
            )
        risk = data.get("security_risk_level", "low")
        if risk not in RISK_LEVELS:
            raise ValidationError(
                f"security_risk_level {risk!r} must be one of {', '.join(RISK_LEVELS)}",
                key="security_risk_level",
            )
        category = data.get("category", "custom")
        if category not in {c.value for c in ToolCategory}:
            raise ValidationError(
                f"category {category!r} must be one of {', '.join(c.value for c in ToolCategory)}",
                key="category",
            )
        definition = parse_input(FFToolDefinitionDTO, data, "tool definition")
        _check_schema(definition.parameters_schema)
        handler_for(definition.implementation)  # unknown handler -> ValidationError
        impl = definition.implementation
        if impl.kind == "command":
            if impl.command is None:
                raise ValidationError(
                    "a command tool must name its command", key="implementation.command"
                )
            CommandPolicy(self.config.sandbox).validate(impl.command, impl.fixed_args)
        return definition

    def _unregister(self, user_id: str, tool_id: str) -> FFToolDefinitionDTO:
        validate_id(tool_id, "tool_id")
        if tool_id in BUILTIN_TOOL_IDS:
            raise ValidationError(
                f"built-in tool {tool_id!r} cannot be unregistered; block "
                "it in the security policy instead",
                key="tool_id",
            )
        self.ensure_initialized(user_id)
        fs, path = self._ctx.fs, self.paths.registry(user_id)
        with fs.lock(path):
            doc = fs.read_json(path)
            raw = doc["registered_tools"].get(tool_id)
            if raw is None or not raw.get("is_active", True):
                raise NotFound(
                    f"Tool {tool_id} not found or not available", key="tool_id", value=tool_id
                )
            raw["is_active"] = False  # kept, so history and statistics still resolve
            doc["last_updated"] = self._ctx.now_iso()
            fs.write_json(path, doc)
        return FFToolDefinitionDTO.model_validate(raw)

    # -- statistics (derived from execution_history.jsonl) --------------------------------
    def record_statistics(
        self, user_id: str, tool_id: str, *, success: bool, execution_time: float, timestamp: str
    ) -> None:
        """Count one execution; a tool the registry does not hold (any string) is skipped."""
        if not isinstance(tool_id, str):
            raise ValidationError(
                f"tool_id must be a string, got {type(tool_id).__name__}",
                key="tool_id",
                value=tool_id,
            )
        fs, path = self._ctx.fs, self.paths.registry(user_id)
        with fs.lock(path):
            doc = fs.read_json(path, default=None)
            if doc is None or tool_id not in doc["registered_tools"]:
                return
            stats = doc["tool_statistics"].setdefault(tool_id, _new_stats(timestamp))
            _add_to_stats(stats, success, execution_time, timestamp)
            fs.write_json(path, doc)

    def rebuild_statistics(self, user_id: str) -> dict[str, Any]:
        self.ensure_initialized(user_id)
        fs, path = self._ctx.fs, self.paths.registry(user_id)
        with fs.lock(path):
            doc = fs.read_json(path)
            fresh = {
                tool_id: _new_stats(
                    doc["tool_statistics"].get(tool_id, {}).get("registered_at")
                    or doc["created_at"]
                )
                for tool_id in doc["registered_tools"]
            }
            for line in fs.read_jsonl(self.paths.history(user_id)):
                if line.get("tool_id") in fresh:
                    _add_to_stats(
                        fresh[line["tool_id"]],
                        bool(line.get("success")),
                        float(line.get("execution_time_seconds") or 0.0),
                        line.get("start_timestamp"),
                    )
            doc["tool_statistics"] = fresh
            fs.write_json(path, doc)
        return fresh


def _new_stats(now: str) -> dict[str, Any]:
    return {
        "registered_at": now,
        "total_executions": 0,
        "successful_executions": 0,
        "last_execution": None,
        "average_execution_time": 0.0,
    }


def _add_to_stats(
    stats: dict[str, Any], success: bool, seconds: float, timestamp: str | None
) -> None:
    """Every attempt counts in ``total_executions``; the average is over successful runs."""
    stats["total_executions"] += 1
    stats["last_execution"] = timestamp
    if success:
        n = stats["successful_executions"] + 1
        stats["average_execution_time"] = round(
            stats["average_execution_time"] + (seconds - stats["average_execution_time"]) / n, 6
        )
        stats["successful_executions"] = n


def _check_schema(schema: dict[str, Any]) -> None:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValidationError(
            f"parameters_schema is not a valid JSON Schema: {exc.message}", key="parameters_schema"
        ) from None
    if schema.get("type") != "object":
        raise ValidationError("parameters_schema must have type 'object'", key="parameters_schema")
    required = schema.get("required", [])
    missing = [p for p in required if p not in schema.get("properties", {})]
    if missing:
        raise ValidationError(
            f"parameters_schema requires undeclared {missing}", key="parameters_schema"
        )
