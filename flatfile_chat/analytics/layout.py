"""The analytics tree (spec P5 layout), global under the store root.

```
analytics/analytics_metadata.json
keys/anonymization.key   (key material, outside analytics/, see privacy.py)
analytics/system_metrics/{performance,health_checks,resource_usage,error_rates}.jsonl
analytics/user_analytics/{behavior_patterns,feature_usage,session_analytics,
                          engagement_metrics}.jsonl
analytics/business_intelligence/{usage_trends,optimization_insights,capacity_planning}.jsonl
analytics/compliance/{audit_logs,privacy_events,security_events}.jsonl, consent.json
analytics/traces/{traces,experiments}.jsonl      (prompt runs and A/B records)
analytics/monitoring/alerts.json
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flatfile_chat.storage.filestore import FileStore

SYSTEM_FILES = ("performance", "health_checks", "resource_usage", "error_rates")
USER_FILES = ("behavior_patterns", "feature_usage", "session_analytics", "engagement_metrics")
BI_FILES = ("usage_trends", "optimization_insights", "capacity_planning")
COMPLIANCE_FILES = ("audit_logs", "privacy_events", "security_events")
TRACE_FILES = ("traces", "experiments")
# Which retention setting governs each folder of JSONL lines.
RETENTION_CLASSES = {
    "system_metrics": "raw_data_retention_days",
    "user_analytics": "raw_data_retention_days",
    "business_intelligence": "aggregated_data_retention_days",
    "compliance": "compliance_data_retention_days",
    "traces": "raw_data_retention_days",
}
FOLDER_FILES = {
    "system_metrics": SYSTEM_FILES,
    "user_analytics": USER_FILES,
    "business_intelligence": BI_FILES,
    "compliance": COMPLIANCE_FILES,
    "traces": TRACE_FILES,
}


@dataclass(frozen=True)
class AnalyticsPaths:
    fs: FileStore

    @property
    def root(self) -> Path:
        return self.fs.path("analytics")

    @property
    def metadata(self) -> Path:
        return self.fs.path("analytics", "analytics_metadata.json")

    def jsonl(self, folder: str, name: str) -> Path:
        if name not in FOLDER_FILES.get(folder, ()):
            raise ValueError(f"unknown analytics file {folder}/{name}")
        return self.fs.path("analytics", folder, f"{name}.jsonl")

    def system(self, name: str) -> Path:
        return self.jsonl("system_metrics", name)

    def user(self, name: str) -> Path:
        return self.jsonl("user_analytics", name)

    def bi(self, name: str) -> Path:
        return self.jsonl("business_intelligence", name)

    @property
    def consent(self) -> Path:
        return self.fs.path("analytics", "compliance", "consent.json")

    @property
    def alerts(self) -> Path:
        return self.fs.path("analytics", "monitoring", "alerts.json")

    def all_jsonl(self) -> list[tuple[str, Path]]:
        return [
            (folder, self.jsonl(folder, name))
            for folder, names in FOLDER_FILES.items()
            for name in names
        ]
