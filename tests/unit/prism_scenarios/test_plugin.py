"""The pytest plugin end to end, in throw-away projects (pytester, subprocess runs)."""

from __future__ import annotations

import json

import pytest

FEATURE_BINDING = "from pytest_bdd import scenarios\n\nscenarios('.')\n"
OPT_IN = 'pytest_plugins = ["prism_scenarios.pytest_plugin"]\n'


GOOD_AND_BAD = """\
use_case: basic_chat
tags: [smoke]
scenarios:
  - name: counts messages
    steps:
      - user.create: {user_id: alice}
      - session.create: {user_id: alice}
        save: {s1: session_id}
      - chat.turn: {user_id: alice, session_id: "${s1}", text: hi, reply: hello}
      - session.get: {user_id: alice, session_id: "${s1}"}
        expect:
          - {path: message_count, equals: 2}
  - name: wrong on purpose
    tags: [broken]
    steps:
      - user.create: {user_id: alice}
      - session.create: {user_id: alice}
        save: {s1: session_id}
      - chat.turn: {user_id: alice, session_id: "${s1}", text: hi, reply: hello}
      - session.get: {user_id: alice, session_id: "${s1}"}
        expect:
          - {path: message_count, equals: 3}
  - name: known bug
    xfail: counter is two, not three
    steps:
      - expect.value: {value: 2}
        expect: [{equals: 3}]
  - name: not today
    skip: waiting for the panel manager
    steps: [{noop: {}}]
"""

WRONG_FEATURE = """\
@use_case:basic_chat @component:storage
Feature: Counting
  Scenario: wrong on purpose in gherkin
    Given user "alice" exists
    And "alice" has a chat session "s1"
    When "alice" says "hi" in "s1" and the assistant replies "hello"
    Then session "s1" of "alice" holds 3 messages on disk
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makeconftest(OPT_IN)
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "chat.yaml").write_text(GOOD_AND_BAD)
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "counting.feature").write_text(WRONG_FEATURE)
    (pytester.path / "features" / "test_features.py").write_text(FEATURE_BINDING)
    return pytester


@pytest.mark.subprocess
def test_mixed_run_outcomes_and_messages(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1, failed=2, xfailed=1, skipped=1)
    out = result.stdout.str()
    yaml_msg = (
        "scenarios/chat.yaml:20: step 4 `session.get` expectation failed\n"
        '  expect:   {"path": "message_count", "equals": 3}\n'
        "  matcher:  equals\n  expected: 3\n  actual:   2"
    )
    feature_msg = (
        "features/counting.feature:7: step 4 `files.read_json` expectation failed\n"
        '  expect:   {"path": "message_count", "equals": 3}\n'
        "  matcher:  equals\n  expected: 3\n  actual:   2"
    )
    assert yaml_msg in out and feature_msg in out
    assert "Traceback" not in out


@pytest.mark.subprocess
def test_tags_become_markers_and_k_works(project: pytest.Pytester) -> None:
    project.runpytest_subprocess("-m", "smoke and not broken", "-k", "counts").assert_outcomes(
        passed=1
    )
    project.runpytest_subprocess("-m", "use_case_basic_chat and component_storage").assert_outcomes(
        failed=1
    )


@pytest.mark.subprocess
def test_invalid_file_is_one_failing_item_and_nothing_runs(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "bad.yaml").write_text("""\
scenarios:
  - name: would write a user
    steps:
      - user.create: {user_id: alice}
      - user.creat: {user_id: bob}
""")
    result = project.runpytest_subprocess("scenarios/bad.yaml")
    result.assert_outcomes(failed=1)
    assert "scenarios/bad.yaml:5: unknown action 'user.creat'" in result.stdout.str()
    assert "invalid scenario file, nothing in it ran" in result.stdout.str()


@pytest.mark.subprocess
def test_xdist_runs_scenarios_in_parallel(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-n", "2", "scenarios")
    result.assert_outcomes(passed=1, failed=1, xfailed=1, skipped=1)


@pytest.mark.subprocess
def test_last_failed_reruns_only_the_failure(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(OPT_IN)
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "chat.yaml").write_text(GOOD_AND_BAD)
    pytester.runpytest_subprocess("scenarios")
    rerun = pytester.runpytest_subprocess("--lf", "scenarios")
    rerun.assert_outcomes(failed=1)


@pytest.mark.subprocess
def test_allure_results_of_a_mixed_run(project: pytest.Pytester) -> None:
    results = project.path / "allure-results"
    project.runpytest_subprocess(f"--alluredir={results}")
    tests = {}
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text())
        tests[data["name"]] = data
    bdd = tests["wrong on purpose in gherkin"]
    assert bdd["status"] == "failed"
    sentences = [s["name"] for s in bdd["steps"]]
    assert sentences == [
        'Given user "alice" exists',
        'And "alice" has a chat session "s1"',
        'When "alice" says "hi" in "s1" and the assistant replies "hello"',
        'Then session "s1" of "alice" holds 3 messages on disk',
    ]
    given = bdd["steps"][0]
    assert {p["name"]: p["value"] for p in given["parameters"]} == {"user": "alice"}
    engine_step = given["steps"][0]
    assert engine_step["name"] == "user.create(user_id=alice)"
    assert engine_step["parameters"] == [{"name": "user_id", "value": "alice"}]
    assert engine_step["attachments"][0]["name"] == "result"
    failed_then = bdd["steps"][3]
    assert failed_then["status"] == "failed"
    assert "expected: 3" in failed_then["steps"][0]["statusDetails"]["message"]
    labels = {(label["name"], label["value"]) for label in bdd["labels"]}
    assert {("use_case", "basic_chat"), ("component", "storage")} <= labels
    yaml_test = tests["wrong on purpose"]
    assert (
        yaml_test["status"] == "failed" and "actual:   2" in yaml_test["statusDetails"]["message"]
    )
    yaml_labels = {(label["name"], label["value"]) for label in yaml_test["labels"]}
    assert {
        ("use_case", "basic_chat"),
        ("component", "storage"),
        ("tag", "smoke"),
        ("suite", "scenarios"),
    } <= yaml_labels
    categories = json.loads((results / "categories.json").read_text())
    assert [c["name"] for c in categories][:4] == [
        "Invariant breach",
        "ThresholdBreach",
        "Scenario error",
        "Product defect",
    ]
    assert "python=" in (results / "environment.properties").read_text()
    attachment = next(results.glob("*-attachment.json"))
    json.loads(attachment.read_text())  # results are attached as JSON


def test_gherkin_tags_and_async_free_steps(pytester: pytest.Pytester) -> None:
    import inspect

    import prism_scenarios.bdd.steps as steps

    for name, fn in vars(steps).items():
        if callable(fn) and getattr(fn, "__module__", "") == steps.__name__:
            assert not inspect.iscoroutinefunction(fn), f"{name} must be a plain def"
