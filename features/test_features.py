"""Binds every feature file under features/ to the engine's step vocabulary."""

from pytest_bdd import scenarios

scenarios(".")
