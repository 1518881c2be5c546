"""Gherkin bindings: thin, readable sentences that call the engine (never a manager)."""
