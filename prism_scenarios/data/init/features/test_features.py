"""Binds every feature file in this folder to prism-scenarios' step vocabulary."""

from pytest_bdd import scenarios

scenarios(".")
