"""Where the tool framework keeps its files (P4 layout), all under ``users/{u}/tools/``.

```
tool_registry.json            definitions + tool_statistics
security_policies.json        the user's effective policy + policy change log
execution_history.jsonl       one line per attempt (denied ones too)
performance_metrics.jsonl     one line per sampled attempt
approvals.json                approval requests and grants
tool_cache/{tool_id}/results.jsonl
data/calendar.json | data/tasks.json | data/outbox.jsonl   built-in tools' own data
runtime/slot_{n}              lock targets of the concurrency slots (held while running)
runtime/cooldown.json         last start per tool (derived; history is the fallback)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id


@dataclass(frozen=True)
class ToolPaths:
    fs: FileStore

    def tools_dir(self, user_id: str) -> Path:
        return self.fs.user_path(user_id, "tools")

    def registry(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "tool_registry.json"

    def policies(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "security_policies.json"

    def history(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "execution_history.jsonl"

    def expired(self, user_id: str) -> Path:
        """Per-tool counts of history lines removed by retention (the statistics still count
        them: ``total_executions`` = history lines + expired)."""
        return self.tools_dir(user_id) / "execution_history_expired.json"

    def metrics(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "performance_metrics.jsonl"

    def approvals(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "approvals.json"

    def cache_dir(self, user_id: str, tool_id: str) -> Path:
        return self.tools_dir(user_id) / "tool_cache" / validate_id(tool_id, "tool_id")

    def cache_file(self, user_id: str, tool_id: str) -> Path:
        return self.cache_dir(user_id, tool_id) / "results.jsonl"

    def data_dir(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "data"

    def runtime_dir(self, user_id: str) -> Path:
        return self.tools_dir(user_id) / "runtime"

    def slot(self, user_id: str, index: int) -> Path:
        return self.runtime_dir(user_id) / f"slot_{index}"

    def admission(self, user_id: str) -> Path:
        """Lock target serialising admission (rate count + slot claim) for one user."""
        return self.runtime_dir(user_id) / "admission"

    def cooldown(self, user_id: str) -> Path:
        return self.runtime_dir(user_id) / "cooldown.json"
