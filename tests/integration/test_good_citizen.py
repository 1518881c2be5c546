"""Installed but not asked for, prism-scenarios changes nothing in someone else's project.

Each sample project is run three ways and compared: without the plugin (``-p
no:prism_scenarios`` blocks the entry point, as if the package were not installed), with it
installed but not opted in, and — where it matters — opted in through the project's conftest.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

WITHOUT = ("-p", "no:prism_scenarios")


@pytest.fixture(autouse=True)
def _same_order_in_both_runs(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs are compared line by line: pytest-randomly (this repo's dev venv shuffles
    every run) must not shuffle them differently. Harmless where it is not installed. (After
    ``pytester``, which clears PYTEST_ADDOPTS.)"""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")


TAGGED_FEATURE = """\
Feature: Tickets
  @JIRA-123
  Scenario: A ticketed scenario
    Given a thing
    Then it is there

  @todo
  Scenario: Not written yet
    Given a thing
    Then it is there

  Scenario: Titled by the project
    Given a thing
    Then it is there
"""

TAGGED_TESTS = """\
import allure
from pytest_bdd import given, scenario, scenarios, then

scenarios("tickets.feature")


@allure.title("The project's own title")
@scenario("tickets.feature", "Titled by the project")
def test_titled():
    pass


@given("a thing", target_fixture="thing")
def a_thing():
    return 1


@then("it is there")
def it_is_there(thing):
    assert thing == 1
"""

RECORD_MODULES = """
def pytest_sessionfinish(session):
    import sys
    from pathlib import Path

    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] in ("prism_scenarios", "flatfile_chat"))
    Path("loaded-modules.txt").write_text("\\n".join(loaded))
"""

TODO_HOOK = (
    """\
import pytest


def pytest_bdd_apply_tag(tag, function):  # pytest-bdd's documented example
    if tag == "todo":
        pytest.mark.skip(reason="Not implemented yet")(function)
        return True
    return None

"""
    + RECORD_MODULES
)

THEIR_CATEGORIES = [{"name": "Their own category", "matchedStatuses": ["failed"]}]
THEIR_ENVIRONMENT = "team=payments\npython=theirs\n"


def _outcomes(result: pytest.RunResult) -> tuple[int, dict[str, int]]:
    return int(result.ret), result.parseoutcomes()


@pytest.fixture
def bdd_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        textwrap.dedent("""\
        [pytest]
        addopts = -p no:cacheprovider --strict-markers
        markers =
            JIRA-123: a ticket
        """)
    )
    pytester.makeconftest(TODO_HOOK)
    (pytester.path / "tickets.feature").write_text(TAGGED_FEATURE)
    (pytester.path / "test_tickets.py").write_text(TAGGED_TESTS)
    # A folder called scenarios/ that means something else in this project.
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "deploy.yaml").write_text(
        "scenarios:\n  - name: blue-green\n    steps: [rollout]\n"
    )
    return pytester


def _allure_run(project: pytest.Pytester, name: str, *args: str) -> dict[str, dict]:
    results = project.path / name
    results.mkdir()
    (results / "categories.json").write_text(json.dumps(THEIR_CATEGORIES))
    (results / "environment.properties").write_text(THEIR_ENVIRONMENT)
    project.runpytest_subprocess(f"--alluredir={results}", *args)
    tests = {}
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = sorted(
            (label["name"], label["value"])
            for label in data["labels"]
            if label["name"] not in ("host", "thread")
        )
        tests[data["fullName"]] = {
            "name": data["name"],
            "status": data["status"],
            "labels": labels,
            "steps": len(data.get("steps", [])),
        }
    return tests


def test_installed_but_not_asked_changes_nothing(bdd_project: pytest.Pytester) -> None:
    for args in [(), ("-m", "JIRA-123"), ("-m", "not JIRA-123"), ("--co", "-q")]:
        without = bdd_project.runpytest_subprocess(*WITHOUT, *args)
        with_it = bdd_project.runpytest_subprocess(*args)
        assert _outcomes(with_it) == _outcomes(without), args
        if "--co" in args:
            assert with_it.outlines[:-2] == without.outlines[:-2]
    # What the three scenarios do without us, so the comparison above means something.
    # (scenarios() binds "Titled by the project" too, next to its own @scenario test)
    assert _outcomes(bdd_project.runpytest_subprocess(*WITHOUT))[1] == {"passed": 3, "skipped": 1}
    assert _outcomes(bdd_project.runpytest_subprocess("-m", "JIRA-123"))[1] == {
        "passed": 1,
        "deselected": 3,
    }
    # Only the inert entry point was imported: no engine, no store, no step definitions.
    loaded = (bdd_project.path / "loaded-modules.txt").read_text().split()
    assert loaded == ["prism_scenarios", "prism_scenarios.pytest_entry"]


def test_strict_markers_still_catch_a_typo(bdd_project: pytest.Pytester) -> None:
    feature = bdd_project.path / "tickets.feature"
    feature.write_text(TAGGED_FEATURE.replace("@JIRA-123", "@JIRA-132"))
    without = bdd_project.runpytest_subprocess(*WITHOUT)
    with_it = bdd_project.runpytest_subprocess()
    assert _outcomes(with_it) == _outcomes(without)
    assert "'JIRA-132' not found in `markers` configuration option" in with_it.stdout.str()
    # Opted in: our hook answers only for @use_case:/@component: tags.
    bdd_project.makeconftest(TODO_HOOK + '\npytest_plugins = ["prism_scenarios.bdd"]\n')
    opted_in = bdd_project.runpytest_subprocess()
    assert _outcomes(opted_in) == _outcomes(without)
    assert "'JIRA-132' not found in `markers` configuration option" in opted_in.stdout.str()


def test_allure_files_and_titles_are_the_projects(bdd_project: pytest.Pytester) -> None:
    without = _allure_run(bdd_project, "without", *WITHOUT)
    installed = _allure_run(bdd_project, "installed")
    assert installed == without
    assert {t["name"] for t in without.values()} >= {"The project's own title"}
    bdd_project.makeconftest(TODO_HOOK + '\npytest_plugins = ["prism_scenarios.bdd"]\n')
    opted_in = _allure_run(bdd_project, "opted-in")
    assert opted_in == without  # their scenarios run none of our steps: untouched
    for name in ("without", "installed", "opted-in"):
        results = bdd_project.path / name
        assert (results / "environment.properties").read_text().startswith(THEIR_ENVIRONMENT)
        categories = json.loads((results / "categories.json").read_text())
        assert categories[:1] == THEIR_CATEGORIES
    # Opted in, ours are added after theirs (Allure takes the first match), never instead.
    opted = json.loads((bdd_project.path / "opted-in" / "categories.json").read_text())
    assert "Invariant breach" in {c["name"] for c in opted}
    env = (bdd_project.path / "opted-in" / "environment.properties").read_text()
    assert "python=theirs" in env and env.count("python=") == 1


def test_yaml_in_an_unrelated_scenarios_folder_is_not_collected(
    bdd_project: pytest.Pytester,
) -> None:
    for args in [(), ("scenarios",)]:
        without = bdd_project.runpytest_subprocess(*WITHOUT, *args)
        with_it = bdd_project.runpytest_subprocess(*args)
        assert _outcomes(with_it) == _outcomes(without)
    assert "deploy.yaml" not in bdd_project.runpytest_subprocess("--co", "-q").stdout.str()


def test_a_non_utf8_feature_is_a_clear_error_not_an_internal_error(
    bdd_project: pytest.Pytester,
) -> None:
    (bdd_project.path / "tickets.feature").write_bytes(
        TAGGED_FEATURE.replace("A ticketed", "Caf\xe9 ticketed").encode("latin-1")
    )
    without = bdd_project.runpytest_subprocess(*WITHOUT)
    with_it = bdd_project.runpytest_subprocess()
    assert _outcomes(with_it) == _outcomes(without)
    bdd_project.makeconftest(TODO_HOOK + '\npytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    opted_in = bdd_project.runpytest_subprocess()
    assert "INTERNALERROR" not in opted_in.stdout.str() + opted_in.stderr.str()
    assert opted_in.ret == without.ret
    assert re.search(
        r"tickets\.feature:3: not UTF-8 text \(byte 0xe9 at offset \d+\); save "
        r"the file as UTF-8",
        opted_in.stdout.str(),
    ), opted_in.stdout.str()


def test_a_project_module_named_runner_does_not_shadow_us(pytester: pytest.Pytester) -> None:
    """The runner package used to be called ``runner``: a user's runner.py broke pytest."""
    pytester.makepyfile(
        runner="def run():\n    return 'theirs'\n",
        test_runner="import runner\n\n\ndef test_theirs():\n    assert runner.run() == 'theirs'\n",
    )
    pytester.makeconftest('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "one.yaml").write_text(
        "scenarios:\n  - name: ok\n    steps: [{expect.value: {value: 1}, expect: [{equals: 1}]}]\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert _outcomes(result) == (0, {"passed": 2})
    assert re.search(r"checks/one\.yaml::ok PASSED|2 passed", result.stdout.str())


def test_ini_switch_turns_it_on(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nprism_scenarios = true\n")
    (pytester.path / "mine.yml").write_text(
        "scenarios:\n  - name: ok\n    steps: [{expect.value: {value: 1}, expect: [{equals: 2}]}]\n"
    )
    assert _outcomes(pytester.runpytest_subprocess())[1] == {"failed": 1}
    pytester.makeini("[pytest]\nprism_scenarios = false\n")
    assert pytester.runpytest_subprocess().ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_our_own_gherkin_still_gets_its_allure_steps_and_labels(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["prism_scenarios.bdd"]\n')
    (pytester.path / "chat.feature").write_text(
        textwrap.dedent("""\
        @use_case:basic_chat @component:storage
        Feature: Chat
          Scenario: Two messages
            Given user "alice" exists
            And "alice" has a chat session "intro"
            When "alice" says "hi" in "intro" and the assistant replies "hello"
            Then session "intro" of "alice" holds 2 messages on disk

          @telemetry
          Scenario: Titled by its author
            Given user "bob" exists
        """)
    )
    (pytester.path / "test_chat.py").write_text(
        textwrap.dedent("""\
        import allure
        from pytest_bdd import scenario, scenarios


        @allure.title("The author's title")
        @scenario("chat.feature", "Titled by its author")
        def test_titled():
            pass


        scenarios("chat.feature")
        """)
    )
    results = pytester.path / "results"
    result = pytester.runpytest_subprocess(
        f"--alluredir={results}", "--strict-markers", "-m", "use_case_basic_chat"
    )
    assert _outcomes(result) == (0, {"passed": 2})
    by_name = {
        d["name"]: d for d in (json.loads(p.read_text()) for p in results.glob("*-result.json"))
    }
    assert set(by_name) == {"Two messages", "The author's title"}  # theirs kept, ours set
    data = by_name["Two messages"]
    assert ("use_case", "basic_chat") in {(x["name"], x["value"]) for x in data["labels"]}
    assert data["steps"][0]["name"] == 'Given user "alice" exists'
    assert data["steps"][0]["steps"][0]["name"] == "user.create(user_id=alice)"
    assert Path(results / "categories.json").exists()


def test_opted_in_plain_tests_do_not_load_the_engine(pytester: pytest.Pytester) -> None:
    """Opting in costs the step definitions, not the engine, the store or the settings."""
    pytester.makeconftest('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n' + RECORD_MODULES)
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    assert _outcomes(pytester.runpytest_subprocess("-p", "no:cacheprovider")) == (0, {"passed": 1})
    loaded = set((pytester.path / "loaded-modules.txt").read_text().split())
    assert "prism_scenarios.bdd.steps" in loaded  # opted in: the sentences are there
    heavy = {
        "prism_scenarios.engine",
        "prism_scenarios.loader",
        "prism_scenarios.settings",
        "prism_scenarios.allure_bridge",
        "flatfile_chat",
    }
    assert not heavy & loaded, sorted(heavy & loaded)
