"""Families and their folders (prism_scenarios.families), Gherkin tags
(prism_scenarios.tags) and the per-step deadline (prism_scenarios.step_timeout), in-process."""

from __future__ import annotations

import importlib.util
import signal
import threading
import time
from pathlib import Path

import pytest

from prism_scenarios import families, tags
from prism_scenarios.dto import FFIntegrationTestingConfigDTO
from prism_scenarios.step_timeout import REPEAT_SECONDS, StepTimeout, deadline


# -- families ---------------------------------------------------------------------------------
def test_the_family_folders_and_their_inverse() -> None:
    assert families.FAMILY_FOLDERS["end_to_end"] == "use_cases"
    assert families.FAMILY_FOLDERS["performance"] == "load"
    assert families.FOLDER_FAMILY == {
        "component": "component",
        "integration": "integration",
        "use_cases": "end_to_end",
        "load": "performance",
        "security": "security",
        "migration": "migration",
    }


@pytest.mark.parametrize(
    "folder", ["scenarios/component", "features/use_cases", "features/load", "scenarios/load"]
)
def test_a_project_with_one_family_folder_has_the_layout(tmp_path: Path, folder: str) -> None:
    (tmp_path / folder).mkdir(parents=True)
    assert families.has_family_layout(tmp_path)


def test_a_project_without_family_folders_has_no_layout(tmp_path: Path) -> None:
    (tmp_path / "scenarios" / "mine").mkdir(parents=True)
    (tmp_path / "tests" / "component").mkdir(parents=True)
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "security").write_text("a file, not a folder")
    assert not families.has_family_layout(tmp_path)


def test_pytest_paths_in_family_order_only_existing_folders_and_no_load_yaml(
    tmp_path: Path,
) -> None:
    for folder in (
        "scenarios/load",
        "features/load",
        "scenarios/use_cases",
        "features/use_cases",
        "scenarios/security",
        "features/component",
    ):
        (tmp_path / folder).mkdir(parents=True)
    assert families.pytest_paths(
        ["performance", "end_to_end", "security", "component", "migration"], tmp_path
    ) == [
        "features/load",
        "scenarios/use_cases",
        "features/use_cases",
        "scenarios/security",
        "features/component",
    ]
    assert families.pytest_paths([], tmp_path) == []


def test_load_files_are_the_sorted_yaml_files_of_the_load_folder(tmp_path: Path) -> None:
    load = tmp_path / "scenarios" / "load"
    load.mkdir(parents=True)
    for name in ("b.yaml", "a.yaml", "c.yml", "notes.txt"):
        (load / name).write_text("")
    (tmp_path / "scenarios" / "other.yaml").write_text("")
    assert families.load_files(tmp_path) == [load / "a.yaml", load / "b.yaml"]
    assert families.load_files(tmp_path / "missing") == []


def _config(**values: object) -> FFIntegrationTestingConfigDTO:
    return FFIntegrationTestingConfigDTO(**values)


def test_workers_from_the_config_never_more_than_the_cores() -> None:
    config = _config(parallel_test_execution=True, max_parallel_tests=5)
    options = families.pytest_options(config, workers=None, stop=None, reruns=None, cores=2)
    assert options == ["-n", "2", "--dist", "loadfile"]
    options = families.pytest_options(config, workers=None, stop=None, reruns=None, cores=8)
    assert options == ["-n", "5", "--dist", "loadfile"]


def test_one_worker_or_no_parallelism_runs_in_process() -> None:
    one_core = families.pytest_options(
        _config(parallel_test_execution=True, max_parallel_tests=5),
        workers=None,
        stop=None,
        reruns=None,
        cores=1,
    )
    off = families.pytest_options(
        _config(parallel_test_execution=False, max_parallel_tests=5),
        workers=None,
        stop=None,
        reruns=None,
        cores=8,
    )
    assert one_core == [] and off == []


@pytest.mark.parametrize(
    "workers, expected",
    [
        ("0", []),
        ("1", []),
        ("3", ["-n", "3", "--dist", "loadfile"]),
        ("auto", ["-n", "auto", "--dist", "loadfile"]),
    ],
)
def test_a_workers_option_wins_over_the_config(workers: str, expected: list[str]) -> None:
    config = _config(parallel_test_execution=True, max_parallel_tests=5)
    assert (
        families.pytest_options(config, workers=workers, stop=None, reruns=None, cores=8)
        == expected
    )


def test_stop_on_first_failure_from_the_config_or_the_option() -> None:
    on = _config(parallel_test_execution=False, stop_on_first_failure=True)
    off = _config(parallel_test_execution=False, stop_on_first_failure=False)
    run = families.pytest_options
    assert run(on, workers=None, stop=None, reruns=None, cores=1) == ["-x"]
    assert run(off, workers=None, stop=None, reruns=None, cores=1) == []
    assert run(on, workers=None, stop=False, reruns=None, cores=1) == []
    assert run(off, workers=None, stop=True, reruns=None, cores=1) == ["-x"]


@pytest.mark.skipif(
    importlib.util.find_spec("pytest_rerunfailures") is None, reason="needs pytest-rerunfailures"
)
def test_retries_from_the_config_only_when_switched_on_and_the_option_wins() -> None:
    run = families.pytest_options
    on = _config(parallel_test_execution=False, retry_failed_tests=True, max_retry_attempts=3)
    off = _config(parallel_test_execution=False, retry_failed_tests=False, max_retry_attempts=3)
    assert run(on, workers=None, stop=None, reruns=None, cores=1) == ["--reruns", "3"]
    assert run(off, workers=None, stop=None, reruns=None, cores=1) == []
    assert run(off, workers=None, stop=None, reruns=2, cores=1) == ["--reruns", "2"]
    assert run(on, workers=None, stop=None, reruns=0, cores=1) == []
    both = _config(
        parallel_test_execution=True,
        max_parallel_tests=4,
        stop_on_first_failure=True,
        retry_failed_tests=True,
        max_retry_attempts=1,
    )
    assert run(both, workers=None, stop=None, reruns=None, cores=4) == [
        "-n",
        "4",
        "--dist",
        "loadfile",
        "-x",
        "--reruns",
        "1",
    ]


def test_retries_without_the_plugin_are_refused_with_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pytest_rerunfailures" else real(name, *a),
    )
    config = _config(parallel_test_execution=False)
    with pytest.raises(families.RetriesUnavailable) as caught:
        families.pytest_options(config, workers=None, stop=None, reruns=2, cores=1)
    assert str(caught.value) == (
        "retries (2) need pytest-rerunfailures: pip install "
        "'prism-scenarios[retries]' (or set retry_failed_tests: false)"
    )
    assert isinstance(caught.value, RuntimeError)
    # no retries asked: the plugin is not needed
    assert families.pytest_options(config, workers=None, stop=None, reruns=0, cores=1) == []


# -- tags -------------------------------------------------------------------------------------
def test_feature_tags_merge_sort_and_read_the_use_case_and_components() -> None:
    found = tags.feature_tags(
        ["component:memory", "use_case:rag_chat", "smoke"],
        {"component:kb", "use_case:basic_chat", "smoke"},
    )
    assert found.tags == [
        "component:kb",
        "component:memory",
        "smoke",
        "use_case:basic_chat",
        "use_case:rag_chat",
    ]
    assert found.use_case == "basic_chat"  # the first in sorted order
    assert found.components == ["kb", "memory"]
    assert tags.feature_tags(["a:b:c", "use_case:x:y"]).use_case == "x:y"  # split at the first
    assert tags.feature_tags() == tags.FeatureTags([], None, [])


def test_asvs_ids_are_unique_and_sorted() -> None:
    assert tags.asvs_ids(["asvs:5.3.2", "x", "asvs:1.2", "asvs:5.3.2", "asvsx:9", "a:asvs:3"]) == [
        "1.2",
        "5.3.2",
    ]
    assert tags.asvs_ids([]) == []


def test_severity_tag_is_the_first_known_level() -> None:
    assert tags.severity_tag(["severity:urgent", "severity:minor", "severity:critical"]) == (
        "critical"
    )
    assert tags.severity_tag(["severity:urgent", "smoke"]) is None
    assert tags.severity_tag(["x:severity:blocker"]) is None
    assert tags.severity_tag(["severity:trivial"]) == "trivial"


def test_marker_name_changes_only_colons() -> None:
    assert tags.marker_name("use_case:rag_chat") == "use_case_rag_chat"
    assert tags.marker_name("asvs:5.3.2") == "asvs_5.3.2"
    assert tags.marker_name("a:b:c-d e") == "a_b_c-d e"


# -- step deadline ----------------------------------------------------------------------------
def test_a_step_past_its_deadline_is_interrupted_with_the_limit_named() -> None:
    before = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    with pytest.raises(StepTimeout) as caught, deadline(0.05):
        while time.perf_counter() - started < 5:
            pass
    assert (
        time.perf_counter() - started < 4
    )  # far below the 5 s the loop would run; slack for a busy machine
    assert str(caught.value) == "step exceeded its timeout of 0.05s"
    assert isinstance(caught.value, TimeoutError)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # the timer is off again
    assert signal.getsignal(signal.SIGALRM) is before  # and the old handler back


def test_the_timer_fires_again_if_the_first_interruption_is_swallowed() -> None:
    assert REPEAT_SECONDS == 0.5
    seen: list[float] = []
    started = time.perf_counter()
    with pytest.raises(StepTimeout), deadline(0.02):
        while time.perf_counter() - started < 5:
            try:
                while time.perf_counter() - started < 5:
                    pass
            except StepTimeout:
                if seen:
                    raise
                seen.append(time.perf_counter() - started)  # swallowed once
    assert len(seen) == 1
    assert 0.3 < time.perf_counter() - started < 4  # the repeat, not the 5 s loop end


def test_a_step_within_its_deadline_leaves_the_timer_and_handler_as_they_were() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with deadline(5):
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
        assert signal.getitimer(signal.ITIMER_REAL)[1] == REPEAT_SECONDS
        assert signal.getsignal(signal.SIGALRM) is not before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


@pytest.mark.parametrize("seconds", [None, 0])
def test_no_deadline_sets_no_timer(seconds: float | None) -> None:
    before = signal.getsignal(signal.SIGALRM)
    with deadline(seconds):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGALRM) is before


def test_outside_the_main_thread_no_timer_is_set() -> None:
    seen: list[object] = []

    def work() -> None:
        with deadline(0.01):
            seen.append(signal.getitimer(signal.ITIMER_REAL))
            time.sleep(0.05)
        seen.append("done")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [(0.0, 0.0), "done"]
