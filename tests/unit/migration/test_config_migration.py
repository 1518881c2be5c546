"""Config migration: old (upstream v1 flat / v2 nested) config files and presets -> current DTO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flatfile_chat.config import FFConfigurationManagerConfigDTO, load_config
from flatfile_chat.errors import ConfigError
from flatfile_chat.migration.config import (
    KINDS,
    ConfigMigration,
    migrate_config_data,
    migrate_config_file,
    migrate_preset,
)


# Field names of upstream's config classes, copied from the upstream sources (v1 config.py
# StorageConfig plus the names only the v2 legacy adapter knew; v2 ff_class_configs/*.py).
def names(text: str) -> list[str]:
    return text.split()


UPSTREAM_V1_KEYS = names("""
storage_base_path user_data_directory_name panel_sessions_directory_name
global_personas_directory_name system_config_directory_name session_id_prefix panel_id_prefix
session_timestamp_format context_snapshot_timestamp_format user_profile_filename
session_metadata_filename messages_filename situational_context_filename
document_metadata_filename panel_metadata_filename max_message_size_bytes
max_document_size_bytes max_messages_per_session max_sessions_per_user
max_context_history_snapshots message_pagination_default_limit session_list_default_limit
search_results_default_limit jsonl_read_buffer_size atomic_write_temp_suffix
backup_before_delete auto_cleanup_empty_directories validate_json_on_read
create_parent_directories search_include_message_content search_include_context
search_include_metadata full_text_search_min_word_length panel_max_personas
panel_insight_retention_days panel_message_threading_enabled panel_insights_directory_name
panel_personas_directory_name persona_limit allowed_document_extensions
document_storage_subdirectory_name document_analysis_subdirectory_name
context_history_subdirectory_name context_summary_max_length context_key_points_max_count
context_confidence_threshold enable_file_locking lock_timeout_seconds lock_retry_delay_ms
lock_strategy vector_storage_subdirectory vector_index_filename embeddings_filename
default_chunking_strategy chunking_strategies default_embedding_provider embedding_providers
vector_search_top_k similarity_threshold hybrid_search_weight spacy_model_name
vector_batch_size vector_cache_enabled vector_mmap_mode session_data_directory_name
message_id_length temp_file_suffix_length file_operation_max_retries
file_operation_retry_delay_ms lock_retry_max_delay_seconds search_min_word_length
""")

UPSTREAM_V2_KEYS = {
    "storage": """base_path user_data_directory session_data_directory system_config_directory
        session_id_prefix session_timestamp_format profile_filename session_metadata_filename
        messages_filename max_message_size_bytes max_document_size_bytes
        max_messages_per_session max_sessions_per_user atomic_write_temp_suffix
        backup_before_delete auto_cleanup_empty_directories validate_json_on_read
        create_parent_directories jsonl_read_buffer_size file_operation_max_retries
        file_operation_retry_delay_ms message_id_length temp_file_suffix_length""",
    "search": """include_message_content include_context include_metadata case_sensitive
        use_regex min_word_length default_limit max_results_per_session max_total_results
        default_page_size max_page_size min_relevance_score relevance_boost_exact_match
        relevance_boost_title_match relevance_decay_factor enable_search_cache
        cache_ttl_seconds max_cache_entries parallel_search_threshold extract_urls
        extract_emails extract_mentions extract_hashtags extract_code_blocks""",
    "vector": """storage_subdirectory index_filename embeddings_filename metadata_filename
        search_top_k similarity_threshold hybrid_search_weight distance_metric batch_size
        cache_enabled cache_max_size mmap_mode use_gpu default_embedding_provider
        embedding_providers default_chunking_strategy chunking_strategies spacy_model_name
        download_spacy_model index_type index_rebuild_threshold""",
    "document": """storage_subdirectory analysis_subdirectory metadata_filename
        allowed_extensions max_file_size_bytes max_files_per_session max_total_files
        extract_metadata extract_text_from_images ocr_language preserve_formatting
        enable_content_analysis extract_entities extract_keywords extract_summary
        summary_max_length keywords_max_count file_type_strategies index_file_content
        index_metadata full_text_index_enabled enable_versioning max_versions_per_document
        version_comparison_enabled scan_for_malware allowed_mime_types
        parallel_processing_threshold processing_timeout_seconds cache_processed_documents
        cache_ttl_hours""",
    "locking": """enabled strategy lock_file_suffix timeout_seconds acquire_timeout_seconds
        hold_timeout_seconds retry_enabled retry_strategy retry_initial_delay_ms
        retry_max_delay_seconds retry_max_attempts retry_multiplier deadlock_detection_enabled
        deadlock_timeout_seconds lock_ordering_enforced support_shared_locks
        upgrade_locks_enabled lock_pool_size lock_cache_enabled lock_metrics_enabled
        auto_cleanup_stale_locks stale_lock_threshold_seconds cleanup_interval_seconds
        use_fcntl_on_unix use_msvcrt_on_windows fallback_to_polling""",
    "panel": """panel_sessions_directory global_personas_directory insights_subdirectory
        personas_subdirectory panel_metadata_filename panel_id_prefix max_personas_per_panel
        min_personas_per_panel max_messages_per_panel max_panels_per_user global_persona_limit
        user_persona_limit allow_custom_personas require_persona_validation
        insight_generation_enabled insight_retention_days insight_min_messages
        insight_update_frequency message_threading_enabled max_thread_depth
        thread_branching_allowed voting_enabled consensus_tracking disagreement_highlighting
        panel_types default_personas lazy_load_insights cache_panel_state
        panel_state_cache_ttl maintain_persona_context context_window_messages
        context_summary_enabled""",
    "runtime": """cache_size_limit cache_ttl_seconds file_retry_delay_ms file_retry_max_delay_ms
        file_retry_attempts file_retry_backoff_factor entity_patterns jsonl_page_size
        default_encoding temp_dir_cleanup_interval_seconds max_concurrent_operations""",
}

# One deliberate old setup, written in the flat v1 shape and in the nested v2 shape.
V1_FLAT = {
    "storage_base_path": "/srv/chat",
    "max_message_size_bytes": 2048,
    "max_document_size_bytes": 5_000_000,
    "max_messages_per_session": 500,
    "max_sessions_per_user": 20,
    "message_id_length": 16,
    "lock_timeout_seconds": 12.5,
    "panel_max_personas": 6,
    "allowed_document_extensions": [".pdf", ".TXT"],
    "similarity_threshold": 0.55,
    "atomic_write_temp_suffix": ".tmp",
}
V2_NESTED = {
    "storage": {
        "base_path": "/srv/chat",
        "max_message_size_bytes": 2048,
        "max_messages_per_session": 500,
        "max_sessions_per_user": 20,
        "message_id_length": 16,
        "atomic_write_temp_suffix": ".tmp",
    },
    "document": {"max_file_size_bytes": 5_000_000, "allowed_extensions": [".pdf", ".TXT"]},
    "locking": {"timeout_seconds": 12.5},
    "panel": {"max_personas_per_panel": 6},
    "vector": {"similarity_threshold": 0.55},
}
V1_YAML = """\
# an old v1 config
storage_base_path: /srv/chat
max_message_size_bytes: 2048
max_document_size_bytes: 5000000
max_messages_per_session: 500
max_sessions_per_user: 20
message_id_length: 16
lock_timeout_seconds: 12.5
panel_max_personas: 6
allowed_document_extensions: [.pdf, .TXT]
similarity_threshold: 0.55
atomic_write_temp_suffix: .tmp
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_key(migration: ConfigMigration, key: str):
    found = [f for f in migration.findings if f.key == key]
    assert found, f"no finding for {key!r}: {migration.findings}"
    return found[0] if len(found) == 1 else found


def assert_expected_values(config: FFConfigurationManagerConfigDTO) -> None:
    storage = config.storage
    assert storage.base_path == "/srv/chat"
    assert storage.max_message_size_bytes == 2048
    assert storage.max_document_size_bytes == 5_000_000
    assert storage.max_messages_per_session == 500
    assert storage.max_sessions_per_user == 20
    assert storage.message_id_length == 16
    assert storage.lock_timeout_seconds == 12.5
    assert storage.allowed_document_extensions == [".pdf", ".txt"]
    assert storage.enable_file_locking is True
    assert config.panel_session.max_participants == 6
    assert config.knowledge_base.min_relevance_threshold == 0.55
    # Everything not named keeps its default.
    defaults = FFConfigurationManagerConfigDTO()
    assert config.memory_layer == defaults.memory_layer
    assert config.analytics == defaults.analytics
    assert storage.durability == defaults.storage.durability


# -- shapes ---------------------------------------------------------------------------------


def test_flat_v1_json_file_gives_the_expected_values(tmp_path: Path) -> None:
    text = json.dumps(V1_FLAT, indent=2)
    migration = migrate_config_file(write(tmp_path, "old.json", text))
    assert_expected_values(migration.config)
    assert migration.source == str(tmp_path / "old.json")
    assert by_key(migration, "storage_base_path").kind == "renamed"
    assert by_key(migration, "storage_base_path").detail == "renamed to storage.base_path"
    assert by_key(migration, "max_message_size_bytes").kind == "mapped"
    assert by_key(migration, "panel_max_personas").detail.startswith(
        "renamed to panel_session.max_participants"
    )
    # Every key of the file has its finding, with the line the key is written on.
    assert [f.key for f in migration.findings] == list(V1_FLAT)
    lines = text.splitlines()
    assert [f.line for f in migration.findings] == [
        next(n for n, line in enumerate(lines, 1) if line.startswith(f'  "{key}":'))
        for key in V1_FLAT
    ]
    assert by_key(migration, "similarity_threshold").line == 14  # after the 4-line list value


def test_flat_v1_yaml_file_gives_the_same_config(tmp_path: Path) -> None:
    from_yaml = migrate_config_file(write(tmp_path, "old.yaml", V1_YAML))
    from_json = migrate_config_file(write(tmp_path, "old.json", json.dumps(V1_FLAT)))
    assert_expected_values(from_yaml.config)
    assert from_yaml.config == from_json.config
    assert by_key(from_yaml, "lock_timeout_seconds").line == 8


def test_nested_v2_gives_the_same_config_as_flat_v1(tmp_path: Path) -> None:
    v2 = migrate_config_file(write(tmp_path, "v2.json", json.dumps(V2_NESTED, indent=2)))
    assert_expected_values(v2.config)
    assert v2.config == migrate_config_data(V1_FLAT).config
    assert by_key(v2, "document.allowed_extensions").detail == (
        "renamed to storage.allowed_document_extensions (lower-cased)"
    )
    assert by_key(v2, "locking.timeout_seconds").kind == "renamed"
    assert not v2.unknown_keys


def test_prismmind_flatfile_config_wrapper_and_mixed_shapes() -> None:
    migration = migrate_config_data(
        {
            "flatfile_config": {"storage_base_path": "./data_dev", "enable_compression": False},
            "document_processing": {"max_concurrent_documents": 2},
            "environment": "development",
            "storage": {"durability": "batch"},  # already the current format
        }
    )
    assert migration.config.storage.base_path == "./data_dev"
    assert migration.config.storage.durability == "batch"
    assert by_key(migration, "flatfile_config.storage_base_path").kind == "renamed"
    assert migration.unknown_keys == ["flatfile_config.enable_compression"]
    assert by_key(migration, "document_processing").kind == "dropped_obsolete"
    assert by_key(migration, "environment").kind == "dropped_obsolete"
    assert by_key(migration, "storage.durability").detail == "current key, kept as is"


def test_every_upstream_key_is_known_and_reported_once() -> None:
    """No upstream field is 'unknown' and each one yields exactly one finding of its own."""
    v1 = migrate_config_data(dict.fromkeys(UPSTREAM_V1_KEYS, "x"))
    v2 = migrate_config_data(
        {section: dict.fromkeys(names.split(), "x") for section, names in UPSTREAM_V2_KEYS.items()}
    )
    assert v1.unknown_keys == [] and v2.unknown_keys == []
    assert [f.key for f in v1.findings] == UPSTREAM_V1_KEYS
    assert [f.key for f in v2.findings] == [
        f"{s}.{k}" for s, names in UPSTREAM_V2_KEYS.items() for k in names.split()
    ]
    assert all(f.kind in KINDS and f.detail for f in v1.findings + v2.findings)


# -- unknown, invalid, obsolete -------------------------------------------------------------


def test_unknown_keys_are_reported_with_their_lines(tmp_path: Path) -> None:
    yaml_file = write(
        tmp_path,
        "old.yml",
        (
            "storage_base_path: ./x\n"
            "storage_base_pth: ./y\n"
            "storage:\n"
            "  max_sessions_per_user: 5\n"
            "  bogus: 1\n"
            "memory_layer:\n"
            "  enable_compresion: false\n"
        ),
    )
    migration = migrate_config_file(yaml_file)
    assert migration.unknown_keys == [
        "storage_base_pth",
        "storage.bogus",
        "memory_layer.enable_compresion",
    ]
    assert [(f.key, f.line) for f in migration.findings if f.kind == "unknown"] == [
        ("storage_base_pth", 2),
        ("storage.bogus", 5),
        ("memory_layer.enable_compresion", 7),
    ]
    assert "did you mean 'storage_base_path'?" in by_key(migration, "storage_base_pth").detail
    assert (
        "did you mean 'enable_compression'?"
        in by_key(migration, "memory_layer.enable_compresion").detail
    )
    assert migration.config.storage.max_sessions_per_user == 5

    json_file = write(
        tmp_path,
        "old.json",
        (
            '{\n  "vector": {\n    "search_top_k": 7,\n    "top_kk": 3\n  },\n'
            '  "strange": {"a": "}", "b": [1, 2]}\n}\n'
        ),
    )
    migration = migrate_config_file(json_file)
    assert [(f.key, f.line) for f in migration.findings if f.kind == "unknown"] == [
        ("vector.top_kk", 4),
        ("strange", 6),
    ]
    assert migration.config.knowledge_base.max_retrieval_results == 7

    toml_file = write(
        tmp_path,
        "old.toml",
        ('storage_base_path = "./t"\n\n[storage]\nbase_path = "./t"\nwhat = 1\n'),
    )
    migration = migrate_config_file(toml_file)
    assert [(f.key, f.line) for f in migration.findings if f.kind == "unknown"] == [
        ("storage.what", 5)
    ]


def test_invalid_values_are_reported_and_the_default_kept() -> None:
    migration = migrate_config_data(
        {
            "max_message_size_bytes": -1,
            "message_id_length": 4,
            "user_data_directory_name": "people",
            "session_timestamp_format": "%Y/%m/%d",
            "default_chunking_strategy": "magic",
            "lock_timeout_seconds": "soon",
            "max_sessions_per_user": 3,
        }
    )
    defaults = FFConfigurationManagerConfigDTO()
    config = migration.config
    assert config.storage.max_message_size_bytes == defaults.storage.max_message_size_bytes
    assert config.storage.message_id_length == 12
    assert config.storage.user_data_directory_name == "users"
    assert config.storage.session_timestamp_format == defaults.storage.session_timestamp_format
    assert config.knowledge_base.chunking_strategy == defaults.knowledge_base.chunking_strategy
    assert config.storage.lock_timeout_seconds == defaults.storage.lock_timeout_seconds
    assert config.storage.max_sessions_per_user == 3  # the valid neighbour still applies
    kinds = {f.key: f.kind for f in migration.findings}
    assert kinds == {
        "max_message_size_bytes": "invalid",
        "message_id_length": "invalid",
        "user_data_directory_name": "invalid",
        "session_timestamp_format": "invalid",
        "default_chunking_strategy": "invalid",
        "lock_timeout_seconds": "invalid",
        "max_sessions_per_user": "mapped",
    }
    assert by_key(migration, "max_message_size_bytes").detail == (
        "storage.max_message_size_bytes: Input should be greater than 0 (got -1); kept "
        "1048576; a limit of 0 or less is refused, not read as 'unlimited'"
    )
    assert by_key(migration, "message_id_length").detail == (
        "storage.message_id_length: Input should be greater than or equal to 8 (got 4); kept 12"
    )
    assert (
        "Input should be 'users' (got 'people')"
        in by_key(migration, "user_data_directory_name").detail
    )
    assert "must produce valid session ids" in by_key(migration, "session_timestamp_format").detail
    assert (
        "no current chunking strategy for 'magic'"
        in by_key(migration, "default_chunking_strategy").detail
    )


def test_a_section_rule_blames_the_key_that_breaks_it() -> None:
    """chunk_overlap (64) must stay below chunk_size: the model-level error is pinned on the
    last key of the section, which is dropped; the other key still applies."""
    migration = migrate_config_data({"knowledge_base": {"max_chunk_size": 4000, "chunk_size": 50}})
    assert migration.config.knowledge_base.max_chunk_size == 4000
    assert migration.config.knowledge_base.chunk_size == 512
    assert by_key(migration, "knowledge_base.max_chunk_size").kind == "mapped"
    chunk = by_key(migration, "knowledge_base.chunk_size")
    assert chunk.kind == "invalid"
    assert "chunk_overlap (64) must be smaller than chunk_size (50)" in chunk.detail
    assert chunk.detail.endswith("(got 50); kept 512")


def test_obsolete_keys_are_reported_with_a_reason() -> None:
    migration = migrate_config_data(
        {
            "atomic_write_temp_suffix": ".tmp",
            "hybrid_search_weight": 0.5,
            "lock_strategy": "file",
            "messages_filename": "msgs.jsonl",
            "backup_before_delete": True,
        }
    )
    assert {f.kind for f in migration.findings} == {"dropped_obsolete"}
    assert by_key(migration, "atomic_write_temp_suffix").detail.startswith(
        "no equivalent: atomic writes always use a hidden temp name"
    )
    assert "'.tmp' not carried over" in by_key(migration, "atomic_write_temp_suffix").detail
    assert "no weight" in by_key(migration, "hybrid_search_weight").detail
    assert by_key(migration, "lock_strategy").detail.endswith("(your value 'file' matches)")
    assert "'msgs.jsonl' differs" in by_key(migration, "messages_filename").detail
    assert "not backed up" in by_key(migration, "backup_before_delete").detail
    assert migration.config == FFConfigurationManagerConfigDTO()


def test_security_downgrades_are_reported_not_applied() -> None:
    migration = migrate_config_data(
        {
            "enable_file_locking": False,
            "validate_json_on_read": False,
            "max_sessions_per_user": 0,
            "allowed_document_extensions": [".pdf", ".exe", ".svg"],
            "locking": {"enabled": False},
        }
    )
    config = migration.config
    assert config.storage.enable_file_locking is True
    assert config.storage.max_sessions_per_user == 1000
    assert config.storage.allowed_document_extensions == [".pdf"]
    locking = by_key(migration, "enable_file_locking")
    assert locking.kind == "dropped_obsolete"
    assert "cannot be turned off" in locking.detail and "security downgrade" in locking.detail
    assert by_key(migration, "locking.enabled").kind == "dropped_obsolete"
    assert "security downgrade" in by_key(migration, "validate_json_on_read").detail
    assert by_key(migration, "max_sessions_per_user").kind == "invalid"
    extensions = by_key(migration, "allowed_document_extensions")
    assert [f.kind for f in extensions] == ["mapped", "invalid"]
    assert "['.exe', '.svg']" in extensions[1].detail
    # Locking left on maps like any other key.
    on = migrate_config_data({"enable_file_locking": True})
    assert by_key(on, "enable_file_locking").kind == "mapped"


def test_old_defaults_are_not_pinned() -> None:
    """A full v1 dump repeats upstream's defaults; those must not override today's."""
    migration = migrate_config_data(
        {
            "panel_max_personas": 10,
            "vector_search_top_k": 5,
            "similarity_threshold": 0.7,
            "max_message_size_bytes": 1_048_576,
            "search": {"default_page_size": 20},
        }
    )
    assert migration.config == FFConfigurationManagerConfigDTO()
    assert by_key(migration, "panel_max_personas").detail == (
        "renamed to panel_session.max_participants; 10 was the old default, so the current 8 "
        "applies"
    )
    assert by_key(migration, "search.default_page_size").kind == "renamed"
    assert "the current 100 applies" in by_key(migration, "search.default_page_size").detail


def test_conflicting_old_keys_keep_the_stricter_limit() -> None:
    migration = migrate_config_data(
        {
            "storage": {"max_document_size_bytes": 9_000_000, "base_path": "./a"},
            "document": {"max_file_size_bytes": 1_000_000},
            "storage_base_path": "./b",
        }
    )
    assert migration.config.storage.max_document_size_bytes == 1_000_000
    assert migration.config.storage.base_path == "./a"
    loser = by_key(migration, "storage.max_document_size_bytes")
    assert loser.kind == "invalid"
    assert "conflicts with document.max_file_size_bytes = 1000000" in loser.detail
    assert "the stricter limit" in loser.detail
    assert by_key(migration, "storage_base_path").kind == "invalid"


# -- output ---------------------------------------------------------------------------------


def test_to_yaml_round_trips_through_load_config(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "old.json",
        json.dumps(
            {**V1_FLAT, "bogus": 1, "memory_layer": {"retention_policies": {"immediate": 5}}}
        ),
    )
    migration = migrate_config_file(source)
    text = migration.to_yaml()
    assert text.startswith(f"# Migrated from {source} by flatfile_chat.migration.config\n")
    out = write(tmp_path, "current.yaml", text)
    assert load_config(out) == migration.config
    # Only non-default values are written.
    assert "durability" not in text and "analytics" not in text
    assert "base_path: /srv/chat" in text
    assert "immediate: 5" in text


def test_to_yaml_of_an_empty_migration_loads_as_defaults(tmp_path: Path) -> None:
    migration = migrate_config_data({})
    out = write(tmp_path, "current.yaml", migration.to_yaml())
    assert migration.findings == []
    assert load_config(out) == FFConfigurationManagerConfigDTO()


def test_report_is_json_and_counts_every_kind() -> None:
    migration = migrate_config_data(
        {
            "storage_base_path": "./x",
            "bogus": 1,
            "max_sessions_per_user": -5,
            "atomic_write_temp_suffix": ".tmp",
            "max_message_size_bytes": 10,
        }
    )
    report = json.loads(json.dumps(migration.report()))
    assert report["source"] == "<config>"
    assert report["base"] == "defaults"
    assert report["counts"] == {
        "mapped": 1,
        "renamed": 1,
        "dropped_obsolete": 1,
        "unknown": 1,
        "invalid": 1,
    }
    assert report["unknown_keys"] == ["bogus"]
    assert report["config"] == {"storage": {"base_path": "./x", "max_message_size_bytes": 10}}
    assert {f["kind"] for f in report["findings"]} == set(KINDS)
    assert all(set(f) == {"key", "kind", "detail", "line"} for f in report["findings"])


# -- presets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,base_path",
    [
        ("development", "./dev_data"),
        ("production", "/var/lib/chatdb/data"),
        ("test", "./test_data"),
    ],
)
def test_old_presets_migrate_onto_the_current_ones(
    tmp_path: Path, name: str, base_path: str
) -> None:
    migration = migrate_preset(name)
    assert migration.source == f"preset:{name}"
    assert migration.base == f"preset:{name}"
    assert migration.config.storage.base_path == base_path
    assert migration.unknown_keys == []
    assert not [f for f in migration.findings if f.kind == "invalid"]
    current = load_config(preset=name)
    assert migration.config.storage.durability == current.storage.durability
    out = write(tmp_path, f"{name}.yaml", migration.to_yaml())
    assert load_config(out) == migration.config


def test_old_preset_specifics() -> None:
    production = migrate_preset("production")
    assert production.config.storage.message_pagination_default_limit == 50
    assert production.config.storage.io_mode == "thread"  # from the current preset
    assert "security downgrade" in by_key(production, "storage.validate_json_on_read").detail
    development = migrate_preset("development")
    assert development.config.storage.max_messages_per_session == 10_000
    assert development.config.storage.durability == "batch"
    test = migrate_preset("test")
    assert test.config.storage.max_messages_per_session == 1000
    assert test.config.storage.lock_timeout_seconds == 5.0


def test_unknown_preset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown old preset 'staging'"):
        migrate_preset("staging")


def test_a_current_preset_key_sets_the_base(tmp_path: Path) -> None:
    migration = migrate_config_file(
        write(tmp_path, "c.yaml", "preset: test\nstorage_base_path: ./mine\n")
    )
    assert migration.base == "preset:test"
    assert migration.config.storage.base_path == "./mine"
    assert migration.config.storage.durability == "none"
    assert by_key(migration, "preset").kind == "mapped"


# -- errors ---------------------------------------------------------------------------------


def test_missing_file_raises_config_error_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match="config file not found") as info:
        migrate_config_file(path)
    assert info.value.path == str(path)


@pytest.mark.parametrize(
    "name,text,line",
    [
        ("bad.json", '{\n  "a": 1,\n  "b": \n}\n', 4),
        ("dup.json", '{\n  "a": 1,\n  "a": 2\n}\n', 3),
        ("bad.yaml", "storage:\n  base_path: [\n", 3),
        ("dup.yaml", "a: 1\na: 2\n", 2),
        ("bad.toml", "a = 1\nb = \n", 2),
    ],
)
def test_unparsable_file_raises_config_error_with_path_and_line(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        migrate_config_file(path)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}:")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="top level must be a mapping, got LineList"):
        migrate_config_file(write(tmp_path, "list.json", "[1, 2]"))
    with pytest.raises(ConfigError, match="top level must be a mapping, got list"):
        migrate_config_data([1])  # type: ignore[arg-type]
