"""Metrics, alerts, user analytics and business intelligence (spec 2.5)."""

from flatfile_chat.analytics.manager import FFMetricsCollectionManager
from flatfile_chat.analytics.models import (
    FFAnalyticsAlertDTO,
    FFSystemHealthDTO,
    FFSystemMetricsDTO,
)
from flatfile_chat.privacy import Pseudonymizer

__all__ = [
    "FFAnalyticsAlertDTO",
    "FFMetricsCollectionManager",
    "FFSystemHealthDTO",
    "FFSystemMetricsDTO",
    "Pseudonymizer",
]
