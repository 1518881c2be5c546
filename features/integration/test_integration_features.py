"""Binds every feature file in this folder to the engine's step vocabulary.

One binding per suite folder, so `prism-scenarios run features/<suite>` (or `--suite <suite>`)
collects exactly that suite's features.
"""

from pytest_bdd import scenarios

scenarios(".")
