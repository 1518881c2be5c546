"""Discovery exactly (prism_scenarios.discovery): load files, exclusion globs, which folders a
walk skips, what a named file counts as, and the message when nothing was found."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import discovery, settings
from prism_scenarios.discovery import Found, explain_empty, find


@pytest.mark.parametrize(
    ("text", "is_load"),
    [
        (b"mix:\n  - scenario: x\n", True),
        (b"\xef\xbb\xbfmix:\n", True),
        (b'"mix": []\n', True),
        (b"'mix' :\n", True),
        (b"name: x\nmix: []\n", True),
        (b"# yaml-language-server: $schema=../schemas/load.schema.json\nname: x\n", True),
        (b"  mix: []\n", False),
        (b"mixes: []\n", False),
        (b"# $schema=scenario.schema.json\n", False),
    ],
)
def test_a_load_file_is_known_by_its_mix_key_or_modeline(
    tmp_path: Path, text: bytes, is_load: bool
) -> None:
    path = tmp_path / "load.yaml"
    path.write_bytes(text)
    assert discovery.looks_like_load_file(path) is is_load


def test_unreadable_files_are_neither(tmp_path: Path) -> None:
    assert not discovery.looks_like_scenario_file(tmp_path / "missing.yaml")
    assert not discovery.looks_like_load_file(tmp_path / "missing.yaml")
    assert not discovery.looks_like_scenario_file(tmp_path)  # a folder


def test_only_the_first_mib_is_read(tmp_path: Path) -> None:
    assert discovery.SNIFF_BYTES == 1 << 20
    late = tmp_path / "late.yaml"
    late.write_bytes(b"#" * (1 << 20) + b"\nscenarios:\nmix:\n")
    assert not discovery.looks_like_scenario_file(late)
    assert not discovery.looks_like_load_file(late)
    early = tmp_path / "early.yaml"
    early.write_bytes(b"#" * ((1 << 20) - 12) + b"\nscenarios:\n")
    assert discovery.looks_like_scenario_file(early)


def test_excluded_relative_to_the_root_or_as_given(tmp_path: Path) -> None:
    path = tmp_path / "scenarios" / "data" / "x.yaml"
    assert discovery.excluded(path, ["scenarios/data/*"], tmp_path)
    assert not discovery.excluded(path, ["data/*"], tmp_path)
    assert not discovery.excluded(path, [], tmp_path)
    assert discovery.excluded(path, ["*/data/x.yaml"])  # no root: the path as given
    assert discovery.excluded(path, ["nope", "*.yaml"], tmp_path / "elsewhere")


def test_a_walk_skips_tool_and_hidden_folders_in_sorted_order(tmp_path: Path) -> None:
    for folder in [*discovery._SKIP_DIRS, ".hidden", "b", "a"]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "s.yaml").write_text("scenarios: []\n")
    (tmp_path / "top.feature").write_text("Feature: x\n")
    found = find([tmp_path])
    assert found.yaml == [tmp_path / "a" / "s.yaml", tmp_path / "b" / "s.yaml"]
    assert found.features == [tmp_path / "top.feature"]
    assert {"build", "dist", "node_modules", ".venv", "venv", ".git"} <= discovery._SKIP_DIRS


def test_files_named_directly_count_by_suffix(tmp_path: Path) -> None:
    notes = tmp_path / "notes.yaml"
    notes.write_text("owner: me\n")  # named: a YAML file counts even without the key
    feature = tmp_path / "x.feature"
    feature.write_text("Feature: x\n")
    text = tmp_path / "x.txt"
    text.write_text("")
    found = find([notes, str(feature), text])
    assert found == Found(
        yaml=[notes],
        features=[feature],
        skipped=[(text, "neither .yaml/.yml nor .feature")],
        missing=[],
    )
    assert not found.empty
    assert Found().empty and not Found(features=[feature]).empty


def test_explain_empty_names_each_path_and_what_was_passed_over(tmp_path: Path) -> None:
    found = Found(
        skipped=[(tmp_path / f"n{i}.yaml", "no top-level 'scenarios:' key") for i in range(12)],
        missing=["gone"],
    )
    assert explain_empty(["gone", tmp_path], found).splitlines() == [
        "gone: no such file or folder",
        "no scenario file (.yaml with a top-level 'scenarios:' key) or .feature file under: "
        f"{tmp_path}",
        *[
            f"  passed over {tmp_path / f'n{i}.yaml'}: no top-level 'scenarios:' key"
            for i in range(10)
        ],
        "  … and 2 more",
    ]
    assert explain_empty(["gone"], Found(missing=["gone"])) == "gone: no such file or folder"


def test_find_usable_uses_the_projects_exclusions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism_scenarios import project

    monkeypatch.setattr(project, "_root", None)
    settings.load.cache_clear()
    try:
        (tmp_path / "pyproject.toml").write_text(
            "[tool.prism-scenarios]\nscenario_exclude = ['scenarios/skip/*']\n"
        )
        (tmp_path / "scenarios" / "skip").mkdir(parents=True)
        (tmp_path / "scenarios" / "skip" / "s.yaml").write_text("scenarios: []\n")
        (tmp_path / "scenarios" / "k.yaml").write_text("scenarios: []\n")
        monkeypatch.chdir(tmp_path)
        found, why = discovery.find_usable(["scenarios"])
        assert found.yaml == [Path("scenarios/k.yaml")] and why is None
        (tmp_path / "scenarios" / "k.yaml").unlink()
        found, why = discovery.find_usable(["scenarios", "nope"])
        assert why == (
            "nope: no such file or folder\n"
            "no scenario file (.yaml with a top-level 'scenarios:' key) or .feature file "
            "under: scenarios"
        )
        (tmp_path / "scenarios" / "k.yaml").write_text("scenarios: []\n")
        found, why = discovery.find_usable(["scenarios", "nope"])
        assert why == "nope: no such file or folder" and found.yaml
    finally:
        settings.load.cache_clear()
