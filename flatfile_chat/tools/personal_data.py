"""Calendar, task and outbox stores behind the built-in personal-assistant tools.

Each lives under ``users/{u}/tools/data/`` and is changed with a read-modify-write under the
file's lock, so two managers (or processes) never lose each other's events or tasks. The
outbox stands in for e-mail/chat: a ``communication`` tool appends the message there and never
contacts anything outside the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import NotFound, ValidationError
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.paths import ToolPaths

CALENDAR_ACTIONS = ("add_event", "list_events", "delete_event")
TASK_ACTIONS = ("add_task", "list_tasks", "complete_task", "delete_task")
_READ_ACTIONS = frozenset({"list_events", "list_tasks"})


def has_side_effects(action: str) -> bool:
    return action not in _READ_ACTIONS


def _timestamp(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be an ISO 8601 timestamp string", key=key)
    try:
        return parse_timestamp(value)
    except ValueError:
        raise ValidationError(f"{key} {value!r} is not an ISO 8601 timestamp", key=key) from None


def validate_calendar(params: dict[str, Any]) -> None:
    action = params.get("action")
    if action not in CALENDAR_ACTIONS:
        raise ValidationError(f"calendar: unknown action {action!r}", key="action")
    if action == "add_event":
        for key in ("title", "start"):
            if not params.get(key):
                raise ValidationError(f"Required parameter '{key}' missing", key=key)
        start = _timestamp(params["start"], "start")
        if params.get("end") and _timestamp(params["end"], "end") < start:
            raise ValidationError("calendar: end is before start", key="end")
    if action == "delete_event" and not params.get("event_id"):
        raise ValidationError("Required parameter 'event_id' missing", key="event_id")
    for key in ("date_from", "date_to"):
        if params.get(key):
            _timestamp(params[key], key)


def validate_tasks(params: dict[str, Any]) -> None:
    action = params.get("action")
    if action not in TASK_ACTIONS:
        raise ValidationError(f"tasks: unknown action {action!r}", key="action")
    if action == "add_task" and not params.get("title"):
        raise ValidationError("Required parameter 'title' missing", key="title")
    if action in ("complete_task", "delete_task") and not params.get("task_id"):
        raise ValidationError("Required parameter 'task_id' missing", key="task_id")
    if params.get("due"):
        _timestamp(params["due"], "due")


class PersonalData:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx
        self._paths = ToolPaths(ctx.fs)

    def _doc_path(self, user_id: str, name: str) -> Any:
        return self._paths.data_dir(user_id) / name

    def _update(self, user_id: str, name: str, key: str, change: Any) -> Any:
        fs = self._ctx.fs
        path = self._doc_path(user_id, name)
        fs.ensure_dir(path.parent)
        with fs.lock(path):
            doc = fs.read_json(path, default={"user_id": user_id, key: {}})
            result = change(doc[key])
            doc["last_updated"] = self._ctx.now_iso()
            fs.write_json(path, doc)
        return result

    def _read(self, user_id: str, name: str, key: str) -> dict[str, Any]:
        doc = self._ctx.fs.read_json(self._doc_path(user_id, name), default={key: {}})
        return dict(doc.get(key, {}))

    # -- calendar ------------------------------------------------------------------------
    def calendar(self, user_id: str, params: dict[str, Any]) -> dict[str, Any]:
        action = params["action"]
        if action == "add_event":
            event = {
                "event_id": self._ctx.ids.prefixed("evt", 12),
                "title": params["title"],
                "start": params["start"],
                "end": params.get("end"),
                "location": params.get("location", ""),
                "notes": params.get("notes", ""),
                "created_at": self._ctx.now_iso(),
            }

            def add(events: dict[str, Any]) -> dict[str, Any]:
                events[event["event_id"]] = event
                return event

            return {
                "action": action,
                "event": self._update(user_id, "calendar.json", "events", add),
            }
        if action == "delete_event":
            event_id = params["event_id"]

            def delete(events: dict[str, Any]) -> dict[str, Any]:
                if event_id not in events:
                    raise NotFound(f"calendar event {event_id!r} not found", key="event_id")
                return events.pop(event_id)

            return {
                "action": action,
                "event": self._update(user_id, "calendar.json", "events", delete),
            }
        events = sorted(
            self._read(user_id, "calendar.json", "events").values(),
            key=lambda e: (parse_timestamp(e["start"]), e["event_id"]),
        )
        low = _timestamp(params["date_from"], "date_from") if params.get("date_from") else None
        high = _timestamp(params["date_to"], "date_to") if params.get("date_to") else None
        events = [
            e
            for e in events
            if (low is None or parse_timestamp(e["start"]) >= low)
            and (high is None or parse_timestamp(e["start"]) <= high)
        ]
        return {"action": action, "events": events, "count": len(events)}

    # -- tasks ---------------------------------------------------------------------------
    def tasks(self, user_id: str, params: dict[str, Any]) -> dict[str, Any]:
        action = params["action"]
        if action == "add_task":
            task = {
                "task_id": self._ctx.ids.prefixed("task", 12),
                "title": params["title"],
                "due": params.get("due"),
                "status": "open",
                "created_at": self._ctx.now_iso(),
                "completed_at": None,
            }

            def add(tasks: dict[str, Any]) -> dict[str, Any]:
                tasks[task["task_id"]] = task
                return task

            return {"action": action, "task": self._update(user_id, "tasks.json", "tasks", add)}
        if action in ("complete_task", "delete_task"):
            task_id = params["task_id"]

            def change(tasks: dict[str, Any]) -> dict[str, Any]:
                if task_id not in tasks:
                    raise NotFound(f"task {task_id!r} not found", key="task_id")
                if action == "delete_task":
                    return tasks.pop(task_id)
                tasks[task_id].update(status="done", completed_at=self._ctx.now_iso())
                return tasks[task_id]

            return {"action": action, "task": self._update(user_id, "tasks.json", "tasks", change)}
        tasks = sorted(
            self._read(user_id, "tasks.json", "tasks").values(),
            key=lambda t: (t["created_at"], t["task_id"]),
        )
        status = params.get("status_filter")
        if status:
            tasks = [t for t in tasks if t["status"] == status]
        return {"action": action, "tasks": tasks, "count": len(tasks)}

    # -- outbox --------------------------------------------------------------------------
    def send(self, user_id: str, params: dict[str, Any]) -> dict[str, Any]:
        record = {
            "message_id": self._ctx.ids.prefixed("out", 12),
            "recipient": params["recipient"],
            "channel": params.get("channel", "email"),
            "message": params["message"],
            "queued_at": self._ctx.now_iso(),
        }
        path = self._doc_path(user_id, "outbox.jsonl")
        self._ctx.fs.ensure_dir(path.parent)
        self._ctx.fs.append_jsonl(path, [record])
        return {"queued": record}
