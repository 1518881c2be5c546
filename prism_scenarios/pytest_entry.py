"""The ``pytest11`` entry point: inert until a project asks for prism-scenarios.

Installed into a venv, prism-scenarios must change nothing in a pytest run that did not ask
for it, so this module only registers the ini switch and imports nothing but pytest. A project
opts in with any one of:

- ``prism_scenarios = true`` in its pytest ini (``[tool.pytest.ini_options]``, ``pytest.ini``);
- ``pytest_plugins = ["prism_scenarios.pytest_plugin"]`` in its root ``conftest.py`` (YAML
  scenarios and the Gherkin vocabulary) or ``["prism_scenarios.bdd"]`` (Gherkin only);
- ``-p prism_scenarios.pytest_plugin`` on the command line (what ``prism-scenarios run`` does).
"""

from __future__ import annotations

import pytest

FULL_PLUGIN = "prism_scenarios.pytest_plugin"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "prism_scenarios",
        "activate prism-scenarios in this project: collect YAML "
        "scenario files, load its Gherkin steps, report to Allure",
        type="bool",
        default=False,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Early enough for the full plugin's own options to be parsed like any plugin's.
    if early_config.getini("prism_scenarios"):
        early_config.pluginmanager.import_plugin(FULL_PLUGIN)
