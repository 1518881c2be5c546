"""prism-scenarios: the scenario runner."""
