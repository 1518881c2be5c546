"""CommandPolicy refusals name the parameter they are about (``err.key``), for programs."""

from __future__ import annotations

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import ValidationError
from flatfile_chat.tools.commands import CommandPolicy


@pytest.fixture
def policy() -> CommandPolicy:
    return CommandPolicy(FFToolSandboxConfigDTO())


@pytest.mark.parametrize("command", [None, ""])
def test_a_missing_command_names_the_command_parameter(
    policy: CommandPolicy, command: object
) -> None:
    with pytest.raises(ValidationError, match="^Required parameter 'command' missing$") as info:
        policy.validate(command, [])
    assert info.value.key == "command"


def test_a_bad_option_value_names_the_args_parameter_and_the_value(policy: CommandPolicy) -> None:
    with pytest.raises(ValidationError, match="^Invalid value 'abc' for head -n$") as info:
        policy.validate("head", ["-n", "abc", "a.txt"])
    assert info.value.key == "args"
    assert info.value.value == "abc"
