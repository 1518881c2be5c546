# prism-scenarios for this project: YAML scenario files, its Gherkin sentences, Allure steps.
# (Only this project: a venv's other pytest projects stay as they were.)
pytest_plugins = ["prism_scenarios.pytest_plugin"]
