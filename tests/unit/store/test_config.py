"""Config: presets, files, overrides; unknown keys name the key, the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flatfile_chat.config import FFConfigurationManagerConfigDTO, load_config
from flatfile_chat.errors import ConfigError


def test_defaults_mirror_the_spec() -> None:
    config = FFConfigurationManagerConfigDTO()
    assert config.memory_layer.retention_policies["permanent"] == -1
    assert config.panel_session.consensus_threshold == 0.7
    assert config.tool_execution.security_policy.max_executions_per_hour == 100
    assert config.analytics.alerting.disk_usage_threshold_percent == 90
    assert config.storage.max_attachments_per_message == 5


@pytest.mark.parametrize(
    "preset,durability", [("development", "batch"), ("test", "none"), ("production", "fsync")]
)
def test_presets(preset: str, durability: str) -> None:
    assert load_config(preset=preset).storage.durability == durability


def test_unknown_key_names_key_file_line_and_allowed(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.yaml"
    path.write_text("storage:\n  base_path: /data\n  durabilty: fsync\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"{path}:3: unknown key 'storage.durabilty'" in message
    assert "durability" in message.split("allowed:")[1]


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.yaml"
    path.write_text("panel_session:\n  consensus_threshold: lots\n")
    with pytest.raises(ConfigError, match=r"ffchat.yaml:2: panel_session.consensus_threshold"):
        load_config(path)


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.yaml"
    path.write_text("storage:\n  base_path: a\n  base_path: b\n")
    with pytest.raises(ConfigError, match="duplicate key 'base_path'"):
        load_config(path)


def test_file_can_start_from_a_preset_and_json_works(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.yaml"
    path.write_text("preset: production\nstorage:\n  base_path: /srv/chat\n")
    config = load_config(path)
    assert (config.storage.base_path, config.storage.durability) == ("/srv/chat", "fsync")
    json_path = tmp_path / "ffchat.json"
    json_path.write_text('{"storage": {"bogus": 1}}')
    with pytest.raises(ConfigError, match="unknown key 'storage.bogus'"):
        load_config(json_path)


def test_object_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("storage: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="evil.yaml:1"):
        load_config(path)


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError, match="allowed: development, test, production"):
        load_config(preset="staging")
