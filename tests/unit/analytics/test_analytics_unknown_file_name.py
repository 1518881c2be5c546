"""An analytics file outside the known layout is refused naming its folder and name."""

from __future__ import annotations

import pytest

from flatfile_chat.analytics.layout import AnalyticsPaths


def test_an_unknown_analytics_file_is_refused_naming_folder_and_name(store) -> None:
    paths = AnalyticsPaths(store.fs)
    assert paths.jsonl("user_analytics", "feature_usage") == store.fs.path(
        "analytics", "user_analytics", "feature_usage.jsonl"
    )
    with pytest.raises(ValueError) as caught:
        paths.jsonl("user_analytics", "nosuch")
    assert str(caught.value) == "unknown analytics file user_analytics/nosuch"
