"""CommandPolicy: the argument vector a command may be given (checked before any spawn)."""

from __future__ import annotations

import re

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import SecurityError, ValidationError
from flatfile_chat.tools.commands import INJECTION_CHARACTERS, CommandPolicy


@pytest.fixture
def policy() -> CommandPolicy:
    return CommandPolicy(FFToolSandboxConfigDTO())


@pytest.mark.parametrize("char", sorted(INJECTION_CHARACTERS))
def test_every_injection_character_is_refused(policy: CommandPolicy, char: str) -> None:
    with pytest.raises(SecurityError, match="command injection"):
        policy.validate("cat", [f"a{char}b"])


@pytest.mark.parametrize("command", ["rm", "del", "format", "dd", "chmod", "chown", "sudo", "su"])
def test_blocked_commands(policy: CommandPolicy, command: str) -> None:
    with pytest.raises(SecurityError, match=f"^Command {command} is blocked by security "):
        policy.validate(command, [])


@pytest.mark.parametrize("command", ["bash", "sh", "python3", "curl", "/bin/ls", "./ls"])
def test_only_allow_listed_bare_names(policy: CommandPolicy, command: str) -> None:
    with pytest.raises(SecurityError):
        policy.validate(command, [])


@pytest.mark.parametrize(
    ("command", "args", "paths"),
    [
        ("ls", ["-la", "docs"], ["docs"]),
        ("ls", [], []),
        ("head", ["-n", "5", "a.txt"], ["a.txt"]),
        ("head", ["-n5", "a.txt"], ["a.txt"]),
        ("head", ["-5", "a.txt"], ["a.txt"]),
        ("tail", ["-n", "+2", "a.txt"], ["a.txt"]),
        ("grep", ["-in", "todo", "a.txt", "b.txt"], ["a.txt", "b.txt"]),
        ("grep", ["-e", "/etc/passwd", "a.txt"], ["a.txt"]),  # a pattern, not a path
        ("grep", ["-c", "--", "-x", "a.txt"], ["a.txt"]),
        ("find", [".", "-name", "*.txt", "-type", "f", "-maxdepth", "2"], ["."]),
        ("find", ["sub", "!", "-empty"], ["sub"]),
        ("wc", ["-lwc", "a.txt"], ["a.txt"]),
    ],
)
def test_allowed_forms(
    policy: CommandPolicy, command: str, args: list[str], paths: list[str]
) -> None:
    vetted = policy.validate(command, args)
    assert vetted.argv == [command, *args] and vetted.path_operands == paths


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("find", [".", "-exec", "cat"], "Option -exec is not allowed for find"),
        ("find", [".", "-fprint", "out"], "Option -fprint is not allowed for find"),
        ("find", ["-L", "."], "Option -L is not allowed for find"),
        ("grep", ["-R", "x", "."], "Option -R is not allowed for grep"),
        ("grep", ["--include=x", "y"], "Option --include=x is not allowed for grep"),
        ("ls", ["-"], "Option - (stdin) is not allowed for ls"),
        ("head", ["-n", "many", "a"], "Invalid value 'many' for head -n"),
        ("head", ["-n"], "Option -n of head needs a value"),
        ("find", [".", "-type", "s"], "Invalid value 's' for find -type"),
    ],
)
def test_refused_options(
    policy: CommandPolicy, command: str, args: list[str], message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        policy.validate(command, args)


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "~root/x", "~"])
def test_paths_leaving_the_sandbox(policy: CommandPolicy, path: str) -> None:
    with pytest.raises(SecurityError, match="is outside the sandbox directory"):
        policy.validate("cat", [path])
    with pytest.raises(SecurityError, match="is outside the sandbox directory"):
        policy.validate("find", [path, "-name", "x"])


def test_read_only_mode_limits_commands() -> None:
    config = FFToolSandboxConfigDTO(allowed_commands=["ls", "sort"])
    policy = CommandPolicy(config)
    policy.validate("sort", ["a.txt"])
    with pytest.raises(SecurityError, match="not permitted in read_only mode"):
        policy.validate("sort", ["a.txt"], read_only=True)
    policy.validate("ls", [], read_only=True)
