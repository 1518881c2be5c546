"""Command policy: turn a requested command + arguments into a vetted argument vector.

Everything here runs before anything is spawned or any temp dir is made. Checks, in order:
command-injection characters in any token, blocked commands, the allowlist, per-command option
allowlists (so ``find -exec``/``-delete`` or ``grep -f /etc/passwd`` cannot be expressed), and
static path confinement (no absolute paths, no ``~``, no ``..``). The sandbox repeats the path
check against the real directory (symlinks) just before spawning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import SecurityError, ValidationError

# The spec's command_injection class (quotes, backslash, ; & | ` $ ( ) { } [ ] < >), plus
# line breaks and NUL, which no argument of an allow-listed command needs.
INJECTION_CHARACTERS = frozenset(";&|`$(){}[]<>'\"\\\n\r\x00")
READ_ONLY_COMMANDS = frozenset({"ls", "cat", "head", "tail", "grep", "find", "wc"})
_VALUE_RE = {
    "int": re.compile(r"[+-]?\d{1,9}\Z"),
    "size": re.compile(r"[+-]?\d{1,9}[ckMG]?\Z"),
    "type": re.compile(r"[fdl]\Z"),
    "text": re.compile(r".{1,200}\Z", re.DOTALL),
}
_LEGACY_COUNT_RE = re.compile(r"-\d{1,9}\Z")


@dataclass(frozen=True)
class CommandSpec:
    """What one command may be given. Anything not listed is refused."""

    flags: frozenset[str] = frozenset()  # single-letter, combinable (-la)
    value_options: dict[str, str] = field(default_factory=dict)  # "-n" -> value kind
    pattern_operands: int = 0  # leading operands that are not paths
    ok_exit_codes: frozenset[int] = frozenset({0})
    legacy_count: bool = False  # head -5
    find_primaries: dict[str, str | None] | None = None  # find: primary -> value kind


SPECS: dict[str, CommandSpec] = {
    "ls": CommandSpec(flags=frozenset("laA1hStrFd")),
    "cat": CommandSpec(flags=frozenset("nbsET")),
    "head": CommandSpec(
        flags=frozenset("qv"), value_options={"-n": "int", "-c": "int"}, legacy_count=True
    ),
    "tail": CommandSpec(
        flags=frozenset("qv"), value_options={"-n": "int", "-c": "int"}, legacy_count=True
    ),
    "wc": CommandSpec(flags=frozenset("lwcmL")),
    "grep": CommandSpec(
        flags=frozenset("ivcnlLwxrEFohHsq"),
        value_options={"-e": "text", "-m": "int", "-A": "int", "-B": "int", "-C": "int"},
        pattern_operands=1,
        ok_exit_codes=frozenset({0, 1}),
    ),
    "find": CommandSpec(
        find_primaries={
            "-name": "text",
            "-iname": "text",
            "-path": "text",
            "-ipath": "text",
            "-type": "type",
            "-maxdepth": "int",
            "-mindepth": "int",
            "-size": "size",
            "-empty": None,
            "-print": None,
            "-a": None,
            "-o": None,
            "-and": None,
            "-or": None,
            "-not": None,
        }
    ),
}
# Commands a deployment adds to allowed_commands without a spec: no options, every operand
# is a path confined to the sandbox.
GENERIC_SPEC = CommandSpec()


@dataclass(frozen=True)
class ValidatedCommand:
    command: str
    argv: list[str]  # argv[0] is the bare command name
    path_operands: list[str]  # relative paths, re-checked against the real sandbox dir
    ok_exit_codes: frozenset[int]


class CommandPolicy:
    def __init__(self, config: FFToolSandboxConfigDTO) -> None:
        self.allowed = list(config.allowed_commands)
        self.blocked = set(config.blocked_commands)

    def validate(
        self, command: object, args: object, *, read_only: bool = False
    ) -> ValidatedCommand:
        if not isinstance(command, str) or not command:
            raise ValidationError("Required parameter 'command' missing", key="command")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValidationError("Invalid parameter 'args': must be a list of strings", key="args")
        check_injection([command, *args])
        name = command
        if "/" in name:
            raise SecurityError(
                f"Command {name!r} must be a bare command name, not a path",
                key="command",
                value=name,
            )
        if name in self.blocked:
            raise SecurityError(
                f"Command {name} is blocked by security policy", key="command", value=name
            )
        if name not in self.allowed:
            raise SecurityError(
                f"Command {name} is not in the allowed command list ({', '.join(self.allowed)})",
                key="command",
                value=name,
            )
        if read_only and name not in READ_ONLY_COMMANDS:
            raise SecurityError(
                f"Command {name} is not permitted in read_only mode", key="command", value=name
            )
        spec = SPECS.get(name, GENERIC_SPEC)
        paths = (
            _parse_find(name, args, spec)
            if spec.find_primaries is not None
            else _parse_options(name, args, spec)
        )
        for path in paths:
            check_relative_path(path)
        return ValidatedCommand(
            command=name, argv=[name, *args], path_operands=paths, ok_exit_codes=spec.ok_exit_codes
        )


def check_injection(tokens: list[str]) -> None:
    for index, token in enumerate(tokens):
        bad = next((ch for ch in token if ch in INJECTION_CHARACTERS), None)
        if bad is not None:
            what = "Command" if index == 0 else f"Argument {index}"
            raise SecurityError(
                f"{what} {token!r} contains forbidden character {bad!r} (command injection)",
                key="args",
                value=token,
            )


def check_relative_path(path: str) -> None:
    """Static confinement: relative, no ``..``, no ``~``. Symlinks are checked at spawn."""
    if not path:
        raise ValidationError("empty path argument", key="args")
    if path.startswith(("/", "~")) or ".." in path.split("/"):
        raise SecurityError(
            f"Path {path!r} is outside the sandbox directory", key="args", value=path
        )


def _check_value(name: str, option: str, kind: str, value: str) -> None:
    if not _VALUE_RE[kind].match(value):
        raise ValidationError(
            f"Invalid value {value!r} for {name} {option}", key="args", value=value
        )


def _parse_options(name: str, args: list[str], spec: CommandSpec) -> list[str]:
    operands: list[str] = []
    pattern_given = False
    i, options_done = 0, False
    while i < len(args):
        token = args[i]
        i += 1
        if options_done or not token.startswith("-") or token == "-":
            if token == "-":
                raise ValidationError(f"Option - (stdin) is not allowed for {name}", key="args")
            operands.append(token)
            continue
        if token == "--":
            options_done = True
            continue
        if token.startswith("--"):
            raise ValidationError(
                f"Option {token} is not allowed for {name}", key="args", value=token
            )
        if spec.legacy_count and _LEGACY_COUNT_RE.match(token):
            continue
        letters = token[1:]
        for pos, letter in enumerate(letters):
            option = f"-{letter}"
            if option in spec.value_options:
                value = letters[pos + 1 :]
                if not value:
                    if i >= len(args):
                        raise ValidationError(
                            f"Option {option} of {name} needs a value", key="args"
                        )
                    value = args[i]
                    i += 1
                _check_value(name, option, spec.value_options[option], value)
                pattern_given = pattern_given or option == "-e"
                break
            if letter not in spec.flags:
                raise ValidationError(
                    f"Option {option} is not allowed for {name}", key="args", value=token
                )
    skip = 0 if pattern_given else spec.pattern_operands
    return operands[skip:]


def _parse_find(name: str, args: list[str], spec: CommandSpec) -> list[str]:
    primaries = spec.find_primaries or {}
    paths: list[str] = []
    i = 0
    while i < len(args) and not args[i].startswith("-") and args[i] != "!":
        paths.append(args[i])
        i += 1
    while i < len(args):
        token = args[i]
        i += 1
        if token == "!":
            continue
        if token not in primaries:
            raise ValidationError(
                f"Option {token} is not allowed for {name}", key="args", value=token
            )
        kind = primaries[token]
        if kind is not None:
            if i >= len(args):
                raise ValidationError(f"Option {token} of {name} needs a value", key="args")
            _check_value(name, token, kind, args[i])
            i += 1
    return paths
