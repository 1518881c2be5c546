"""Attack mode in Gherkin: one sentence builds the attack world (victim with a secret, canary
beside the store root) around a payload from the Examples table; from then on every step is
checked by the attack oracles (prism_scenarios.attack), exactly as in a YAML attack run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then

from prism_scenarios.bdd.steps import where
from prism_scenarios.errors import ExpectationFailed

if TYPE_CHECKING:
    from prism_scenarios.engine import ScenarioRun


@given(parsers.re(r'an attack world with the (?P<corpus>\w+) payload "(?P<payload>.*)"$'))
def attack_world(scenario_run: ScenarioRun, request, corpus: str, payload: str) -> None:
    """``${payload}`` holds the payload; victim and canary exist; the oracles are on."""
    from prism_scenarios.attack import AttackPoint, Payload, corpus_names
    from prism_scenarios.errors import ScenarioError

    if corpus not in corpus_names():
        raise ScenarioError(
            f"{where(request)}: unknown payload corpus {corpus!r} (known: "
            f"{', '.join(corpus_names())})"
        )
    # line 0: the payload comes from the Examples table, not from a corpus file line
    scenario_run.arm_attack(AttackPoint("payload", Payload(corpus, 0, payload)))


@then("the payload was refused with a domain error")
def refused(scenario_run: ScenarioRun, request) -> None:
    """The previous step's outcome: an FFError subclass (a raw exception never counts)."""
    from flatfile_chat.errors import FFError

    error = scenario_run.last_error
    if not isinstance(error, FFError):
        shown = "it succeeded" if error is None else f"raised {type(error).__name__}: {error}"
        raise ExpectationFailed(
            f"{where(request)}: expected a domain error (FFError) for the payload, but {shown}"
        )


@given("the store is configured with:")
def store_configured(scenario_run: ScenarioRun, request, docstring: str) -> None:
    """YAML's ``config:`` for a Gherkin scenario (e.g. encryption at rest); before the first
    step that touches the store. A bad key fails with the config validator's message."""
    from flatfile_chat.config import validate_config
    from flatfile_chat.errors import ConfigError
    from prism_scenarios.bdd.steps import params_from
    from prism_scenarios.errors import ScenarioError

    overrides = params_from(docstring)
    try:
        validate_config(overrides, origin="config")
        scenario_run.world.reconfigure(overrides)
    except (ConfigError, RuntimeError) as exc:
        raise ScenarioError(f"{where(request)}: {exc}") from None
