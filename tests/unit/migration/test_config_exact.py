"""Old-config migration, exact output: the YAML it writes (header and body, byte for byte), the
line every finding points at in JSON and TOML files, each reading error's exact message and
line, the file kinds it recognises, and long values clipped in findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from flatfile_chat.errors import ConfigError
from flatfile_chat.migration.config import (
    _MAX_DEPTH,
    migrate_config_data,
    migrate_config_file,
    migrate_preset,
)

UNKNOWN = "unknown key: not a v1/v2 setting nor a current one; not applied"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _lines(path: Path) -> list[tuple[str, str, int | None]]:
    return [(f.key, f.kind, f.line) for f in migrate_config_file(path).findings]


def test_to_yaml_is_exactly_the_header_and_the_non_default_values() -> None:
    migration = migrate_config_data(
        {
            "storage_base_path": "/srv/chat",
            "max_messages_per_session": 500,
            "colour_scheme": "dark",
            "atomic_write_temp_suffix": ".tmp",
        }
    )
    assert migration.to_yaml() == (
        "# Migrated from <config> by flatfile_chat.migration.config\n"
        "# 4 old keys: 1 mapped, 1 renamed, 1 dropped_obsolete, 1 unknown.\n"
        "# Only values that differ from the built-in defaults are listed; load with "
        "flatfile_chat.config.load_config(path).\n"
        "storage:\n"
        "  base_path: /srv/chat\n"
        "  max_messages_per_session: 500\n"
    )


def test_to_yaml_of_nothing_says_none_and_writes_an_empty_mapping() -> None:
    assert migrate_config_data({}).to_yaml() == (
        "# Migrated from <config> by flatfile_chat.migration.config\n"
        "# 0 old keys: none.\n"
        "# Only values that differ from the built-in defaults are listed; load with "
        "flatfile_chat.config.load_config(path).\n"
        "{}\n"
    )


def test_to_yaml_of_a_preset_names_the_current_preset_it_is_based_on() -> None:
    text = migrate_preset("test").to_yaml()
    assert text.startswith(
        "# Migrated from preset:test by flatfile_chat.migration.config\n"
        "# 4 old keys: 2 mapped, 1 renamed, 1 dropped_obsolete.\n"
        "# Based on the current 'test' preset; its values are written out.\n"
        "# Only values that differ from the built-in defaults are listed; load with "
        "flatfile_chat.config.load_config(path).\n"
        "storage:\n"
        "  base_path: ./test_data\n"
        "  max_messages_per_session: 1000\n"
        "  durability: none\n"
    )


def test_findings_point_at_their_json_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.json",
        '{\n  "storage": {\n    "base_path": "./x",\n    "max_messages_per_session": 5\n'
        '  },\n  "colour": [1,\n 2]\n}\n',
    )
    assert _lines(path) == [
        ("storage.base_path", "mapped", 3),
        ("storage.max_messages_per_session", "mapped", 4),
        ("colour", "unknown", 6),
    ]
    migration = migrate_config_file(path)
    assert migration.source == str(path)
    assert migration.config.storage.base_path == "./x"
    assert migration.config.storage.max_messages_per_session == 5


def test_findings_point_at_their_toml_lines_tables_and_quoted_keys(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.toml",
        'storage_base_path = "./y"\n\n[storage]\nmax_messages_per_session = 7\n'
        '"quoted key" = 1\n[memory_layer.retention_policies]\nimmediate = 5\n',
    )
    assert _lines(path) == [
        ("storage_base_path", "renamed", 1),
        ("storage.max_messages_per_session", "mapped", 4),
        ("storage.quoted key", "unknown", 5),
        ("memory_layer.retention_policies", "mapped", 6),
    ]
    config = migrate_config_file(path).config
    assert (config.storage.base_path, config.storage.max_messages_per_session) == ("./y", 7)


def test_a_file_without_a_known_suffix_is_json_when_it_starts_with_a_brace(
    tmp_path: Path,
) -> None:
    assert _lines(_write(tmp_path, "noext", '  {"storage_base_path": "./z"}')) == [
        ("storage_base_path", "renamed", 1)
    ]
    # otherwise YAML
    assert _lines(_write(tmp_path, "other.cfg", "storage_base_path: ./z\n")) == [
        ("storage_base_path", "renamed", 1)
    ]
    # .yml is YAML too, and an empty file migrates to nothing
    assert migrate_config_file(_write(tmp_path, "empty.yml", "")).findings == []
    assert migrate_config_file(_write(tmp_path, "empty.toml", "")).findings == []


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        (
            "dup.json",
            '{\n  "a": 1,\n  "a": 2\n}\n',
            "duplicate key 'a' (first defined on line 2)",
            3,
        ),
        ("bad.json", '{\n  "a": 1,\n  "b": \n}\n', "invalid JSON: Expecting value", 4),
        ("bad.toml", "a = 1\nb = \n", "invalid TOML: Invalid value (at line 2, column 5)", 2),
        (
            "deep.json",
            '{"a":\n' * (_MAX_DEPTH + 1) + "1" + "}" * (_MAX_DEPTH + 1),
            f"nesting deeper than {_MAX_DEPTH} levels",
            _MAX_DEPTH + 1,
        ),
    ],
)
def test_reading_errors_name_file_line_and_cause_exactly(
    tmp_path: Path, name: str, text: str, message: str, line: int
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        migrate_config_file(path)
    assert str(info.value) == f"{path}:{line}: {message}"
    assert info.value.path == str(path)
    assert info.value.line == line


def test_nesting_just_within_the_limit_is_read(tmp_path: Path) -> None:
    text = '{"a":\n' * _MAX_DEPTH + "1" + "}" * _MAX_DEPTH
    findings = migrate_config_file(_write(tmp_path, "ok.json", text)).findings
    assert [(f.key, f.kind, f.line) for f in findings] == [("a", "unknown", 1)]


def test_a_folder_is_not_a_readable_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        migrate_config_file(tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot read config file: Is a directory"
    assert info.value.path == str(tmp_path)


def test_a_non_mapping_document_names_its_type_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "list.yaml", "\n- 1\n- 2\n")
    with pytest.raises(ConfigError) as info:
        migrate_config_file(path)
    assert str(info.value) == f"{path}: top level must be a mapping, got LineList"
    assert info.value.line == 2


def test_long_values_are_clipped_to_eighty_characters_in_findings() -> None:
    migration = migrate_config_data({"atomic_write_temp_suffix": "x" * 200})
    (finding,) = migration.findings
    clipped = "'" + "x" * 76 + "..."
    assert len(clipped) == 80
    assert finding.detail.endswith(f"(value {clipped} not carried over)")
    assert migrate_config_data({"colour_scheme": "x" * 200}).findings[0].detail == UNKNOWN


def test_a_yaml_file_starting_with_a_brace_is_still_yaml(tmp_path: Path) -> None:
    # a YAML flow mapping is not JSON: read by its suffix, it migrates
    path = _write(tmp_path, "flow.yaml", "{storage_base_path: ./w}\n")
    assert _lines(path) == [("storage_base_path", "renamed", 1)]
    assert migrate_config_file(path).config.storage.base_path == "./w"


def test_an_unknown_preset_value_is_invalid_naming_the_allowed_ones() -> None:
    migration = migrate_config_data({"preset": "staging"})
    assert [(f.key, f.kind, f.detail) for f in migration.findings] == [
        (
            "preset",
            "invalid",
            "preset: expected one of development, test, production (got 'staging'); not applied",
        )
    ]
    assert migration.base == "defaults"
