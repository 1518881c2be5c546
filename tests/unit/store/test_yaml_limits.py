"""Untrusted YAML is bounded: alias bombs, deep nesting, huge or non-UTF-8 files get a clear
``file:line`` error before anything is built, walked or run. No timing asserts: a guard that
stopped working would hang or exhaust memory, which fails the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from flatfile_chat.config import load_config, yaml_lines
from flatfile_chat.config.yaml_lines import (
    MIB,
    YAMLError,
    YAMLLimits,
    line_of,
    load_yaml,
    load_yaml_file,
    plain,
    read_text_bounded,
)
from flatfile_chat.errors import ConfigError
from prism_scenarios import settings
from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.loader import load_file

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every bound holds on both paths: libyaml's C parser and the pure-Python fallback."""
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    monkeypatch.setattr(yaml_lines, "LIBYAML", request.param == "libyaml")
    return request.param


def _billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    """The classic bomb: each level is a list of ``fan_out`` aliases to the level before."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan_out)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan_out)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_naming_file_and_line() -> None:
    bomb = _billion_laughs()
    assert len(bomb.encode()) < 600  # a few hundred bytes, ~4 * 10**8 nodes expanded
    with pytest.raises(YAMLError) as err:
        load_yaml(bomb, source="bomb.yaml")
    # Level l5 (line 6) alone expands to ~600000 nodes: refused there, not at the end.
    assert str(err.value).startswith(
        "bomb.yaml:6: YAML expands to more than 100000 nodes through aliases (an alias bomb?)"
    )


def test_deep_flow_nesting_is_refused_without_recursion_error() -> None:
    with pytest.raises(YAMLError, match=r"^deep.yaml:1: nesting deeper than 64 levels"):
        load_yaml("[" * 10_000, source="deep.yaml")


def test_a_depth_limit_beyond_the_stack_still_gives_a_yaml_error() -> None:
    with pytest.raises(YAMLError, match=r"^deep.yaml: nested too deeply for the parser"):
        load_yaml("[" * 10_000, source="deep.yaml", limits=YAMLLimits(max_depth=20_000))


def test_deep_block_nesting_names_the_line() -> None:
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(100)) + f"{'  ' * 100}leaf\n"
    with pytest.raises(YAMLError, match=r"^deep.yaml:65: nesting deeper than 64 levels"):
        load_yaml(text, source="deep.yaml")


def test_limits_are_parameters() -> None:
    text = "a: [1, 2, 3]\nb: [4, 5, 6]\n"  # 11 nodes: mapping, 2 keys, 2 lists, 6 items
    with pytest.raises(YAMLError, match=r"^s:2: YAML has more than 8 nodes; limit"):
        load_yaml(text, source="s", limits=YAMLLimits(max_nodes=8))
    with pytest.raises(YAMLError, match="nesting deeper than 1 levels"):
        load_yaml(text, source="s", limits=YAMLLimits(max_depth=1))
    assert load_yaml(text, limits=YAMLLimits(max_nodes=11, max_depth=2)) == {
        "a": [1, 2, 3],
        "b": [4, 5, 6],
    }


ANCHORS = """\
defaults: &defaults
  retries: 3
  backoff: {base: 0.5, max: 8}
shared: &tags [fast, nightly]
jobs:
  - name: a
    <<: *defaults
    tags: *tags
  - name: b
    <<: [*defaults]
    extra: &one 1
    again: *one
"""


def test_anchors_and_merge_keys_load_as_plain_pyyaml_does() -> None:
    document = load_yaml(ANCHORS, source="ok.yaml")
    assert plain(document) == yaml.safe_load(ANCHORS)
    assert document["jobs"][1]["backoff"] == {"base": 0.5, "max": 8}
    assert document["jobs"].item_lines == [6, 9]


OVERRIDE = """\
defaults: &defaults
  retries: 3
  timeout: 10
first:
  <<: *defaults
  retries: 5
last:
  timeout: 20
  <<: *defaults
"""


def test_a_written_key_overrides_a_merged_one() -> None:
    document = load_yaml(OVERRIDE, source="ok.yaml")
    assert plain(document) == yaml.safe_load(OVERRIDE)
    assert plain(document)["first"] == {"retries": 5, "timeout": 10}
    assert plain(document)["last"] == {"retries": 3, "timeout": 20}
    assert [line_of(document, ["first", key]) for key in ("retries", "timeout")] == [6, 3]
    assert [line_of(document, ["last", key]) for key in ("retries", "timeout")] == [2, 8]


def test_a_key_written_twice_is_refused_even_beside_a_merge() -> None:
    text = OVERRIDE.replace("  retries: 5\n", "  retries: 5\n  retries: 6\n")
    with pytest.raises(YAMLError) as err:
        load_yaml(text, source="x.yaml")
    assert str(err.value) == "x.yaml:7: duplicate key 'retries' (first defined on line 6)"


def test_a_key_written_twice_in_a_merge_source_is_refused() -> None:
    """An inline source is never built on its own: the merge must not hide its repeat."""
    with pytest.raises(YAMLError) as err:
        load_yaml("x:\n  <<:\n    a: 1\n    a: 2\n  b: 3\n", source="x.yaml")
    assert str(err.value) == "x.yaml:4: duplicate key 'a' (first defined on line 3)"


def test_merged_mappings_may_share_keys() -> None:
    text = "d: &d {a: 1, b: 1}\ne: &e {<<: *d, b: 2}\nx: {<<: [*e, *d], c: 3}\n"
    assert plain(load_yaml(text)) == yaml.safe_load(text)


def test_an_equals_sign_key_is_a_string_as_in_pyyaml() -> None:
    """YAML 1.1 tags a plain ``=`` as a 'value' key; flattening makes it a string."""
    text = "a: {=: 1}\nb: {<<: {=: 2}, c: 3}\n"
    assert plain(load_yaml(text)) == yaml.safe_load(text) == {"a": {"=": 1}, "b": {"=": 2, "c": 3}}


def test_legitimate_fan_out_within_budget_loads() -> None:
    block = "{" + ", ".join(f"k{i}: {i}" for i in range(100)) + "}"  # 201 nodes
    text = f"base: &b {block}\nuses: [{', '.join(['*b'] * 400)}]\n"  # ~80,000 expanded
    assert len(plain(load_yaml(text))["uses"]) == 400


@pytest.mark.parametrize(
    "text,reason",
    [
        ("a: &a [*a]\n", "recursive"),
        ("a: *nowhere\n", "undefined alias"),
        ("a: [1, 2\n", "expected ',' or ']'"),
    ],
)
def test_recursive_undefined_and_broken_input_stay_yaml_errors(text: str, reason: str) -> None:
    with pytest.raises(YAMLError, match=r"^x.yaml:\d+: ") as err:
        load_yaml(text, source="x.yaml")
    assert reason in str(err.value)


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "a:\n  b: 2001-13-45\n",
            "x.yaml:2: cannot read '2001-13-45' as !!timestamp (ValueError: "
            "month must be in 1..12)",
        ),
        ("a: !!int x\n", "x.yaml:1: cannot read 'x' as !!int (ValueError: invalid literal"),
        ("a: !!bool maybe\n", "x.yaml:1: cannot read 'maybe' as !!bool (KeyError"),
        ("a: !!map [1]\n", "x.yaml:1: cannot read a sequence as !!map (TypeError"),
    ],
)
def test_a_value_pyyaml_cannot_build_is_a_yaml_error(text: str, message: str) -> None:
    """PyYAML's constructors raise these bare (a ValueError traceback, no file or line)."""
    with pytest.raises(YAMLError) as err:
        load_yaml(text, source="x.yaml")
    assert str(err.value).startswith(message)


def test_oversize_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(6 * MIB)  # sparse: 6 MB on paper, nothing on disk
    reads: list[Any] = []

    def spy_open(*args: Any, **kwargs: Any) -> Any:
        handle = open(*args, **kwargs)  # noqa: SIM115 - returned to the code under test
        real_read = handle.read
        handle.read = lambda *a: reads.append(a) or real_read(*a)
        return handle

    monkeypatch.setattr(yaml_lines, "open", spy_open, raising=False)
    with pytest.raises(YAMLError) as err:
        load_yaml_file(path)
    assert str(err.value) == (
        f"{path}: file is 6.0 MB (6291456 bytes), over the 5.0 MB limit (5242880 bytes); "
        "pass a larger YAMLLimits(max_bytes=...)"
    )
    assert reads == []
    with pytest.raises(YAMLError, match="special characters"):  # past the size check: NULs
        load_yaml_file(path, YAMLLimits(max_bytes=7 * MIB))
    assert reads == [(7 * MIB + 1,)]


def test_a_file_that_lies_about_its_size_is_read_only_to_the_limit() -> None:
    zero = Path("/dev/zero")  # stat size 0, endless content
    if not zero.exists():
        pytest.skip("no /dev/zero")
    with pytest.raises(YAMLError, match=r"^/dev/zero: file is 0.0 MB \(1001 bytes\), over"):
        read_text_bounded(zero, YAMLLimits(max_bytes=1000))


def test_non_utf8_names_file_line_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nname: caf\xe9\n")
    with pytest.raises(YAMLError) as err:
        load_yaml_file(path)
    assert str(err.value) == (
        f"{path}:2: not UTF-8 text: byte offset 14 (0xe9: invalid "
        "continuation byte); save the file as UTF-8"
    )


def test_megabyte_setting_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_MB", raising=False)
    assert YAMLLimits().with_megabytes(None, env="X_MB", hint="h").max_bytes == 5 * MIB
    monkeypatch.setenv("X_MB", "0.5")
    assert YAMLLimits().with_megabytes(None, env="X_MB", hint="h").max_bytes == MIB // 2
    limits = YAMLLimits().with_megabytes(2, env="X_MB", hint="set X_MB")
    assert (limits.max_bytes, limits.raise_hint) == (2 * MIB, "set X_MB")
    monkeypatch.setenv("X_MB", "lots")
    with pytest.raises(ValueError, match="X_MB='lots': expected a positive number"):
        YAMLLimits().with_megabytes(None, env="X_MB", hint="h")


SCENARIO = """\
scenarios:
  - name: tiny
    steps:
      - user.create: {user_id: alice}
"""


def test_scenario_loader_turns_a_bomb_into_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("scenarios: []\n" + _billion_laughs())
    with pytest.raises(ScenarioFileError) as err:
        load_file(path, display="suite/bomb.yaml")
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("suite/bomb.yaml:7: YAML expands to more than")


def test_scenario_loader_size_limit_from_argument_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(SCENARIO + "# padding\n" * 20_000)  # ~200 KB
    monkeypatch.setenv("PRISM_MAX_SCENARIO_FILE_MB", "0.1")
    with pytest.raises(ScenarioFileError) as err:
        load_file(path)
    assert f"{path}: file is 0.2 MB" in err.value.problems[0]
    assert "PRISM_MAX_SCENARIO_FILE_MB environment variable" in err.value.problems[0]
    assert load_file(path, max_file_mb=1).scenarios[0].name == "tiny"
    monkeypatch.delenv("PRISM_MAX_SCENARIO_FILE_MB")
    assert load_file(path).scenarios[0].name == "tiny"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose settings ``load_file`` reads, wherever pytest or the cwd put the root.

    ``settings.load`` caches per project directory, so naming this one reads it afresh.
    """
    read = settings.load
    monkeypatch.setattr(settings, "load", lambda project_dir=None: read(project_dir or tmp_path))
    monkeypatch.delenv("PRISM_MAX_SCENARIO_FILE_MB", raising=False)
    return tmp_path


def test_scenario_loader_size_limit_from_project_settings(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text("[tool.prism-scenarios]\nmax_scenario_file_mb = 0.1\n")
    path = project / "big.yaml"
    path.write_text(SCENARIO + "# padding\n" * 20_000)  # ~200 KB
    with pytest.raises(ScenarioFileError) as err:
        load_file(path)
    assert err.value.problems[0].startswith(
        f"{path}: file is 0.2 MB ({path.stat().st_size} bytes), over the 0.1 MB limit "
        "(104857 bytes); "
        "raise it with max_scenario_file_mb under [tool.prism-scenarios]"
    )
    monkeypatch.setenv("PRISM_MAX_SCENARIO_FILE_MB", "1")  # the environment overrides it
    assert load_file(path).scenarios[0].name == "tiny"
    monkeypatch.setenv("PRISM_MAX_SCENARIO_FILE_MB", "0.1")  # and the argument both
    assert load_file(path, max_file_mb=1).scenarios[0].name == "tiny"


def test_config_files_get_the_same_bounds(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.yaml"
    path.write_text(_billion_laughs())
    with pytest.raises(ConfigError, match=r"ffchat.yaml:6: YAML expands to more than"):
        load_config(path)
    path.write_bytes(b"storage:\n  base_path: \xff\n")
    with pytest.raises(ConfigError, match=r"ffchat.yaml:2: not UTF-8 text: byte offset 22"):
        load_config(path)


def test_json_config_nested_too_deeply_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "ffchat.json"
    path.write_text("[" * 100_000)
    with pytest.raises(ConfigError, match="JSON nested too deeply"):
        load_config(path)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "scenarios").rglob("*.yaml")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_shipped_scenario_files_load_as_before(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert plain(load_yaml_file(path)) == yaml.safe_load(text)
