"""``flatfile-chat migrate detect|plan|apply|status|verify|validate|baseline|rollback|recover|
unlock|config``: the migration tool on the command line.

Exit codes: 0 done (or nothing to do), 1 the store failed a check or the run did not finish,
2 bad usage or input, 3 another migration holds the lock.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flatfile_chat.errors import FFError
from flatfile_chat.migration import history
from flatfile_chat.migration.engine import MigrationOptions, Migrator
from flatfile_chat.migration.lease import MigrationLocked
from flatfile_chat.migration.steps import GENERATIONS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="flatfile-chat migrate")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, *, base: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if base:
            p.add_argument("base", type=Path, help="the storage base (folder) to migrate")
            p.add_argument(
                "--work-dir",
                type=Path,
                default=None,
                help="where backups, staging and state go (default: "
                ".{name}.ffmigrate beside the store)",
            )
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        return p

    command("detect", "say which generation (G0-G3, current) a store is, with evidence")
    for name, text in (
        ("plan", "dry run: files, records, bytes, time; writes nothing"),
        ("apply", "back up, migrate in batches, verify, cut over"),
    ):
        p = command(name, text)
        p.add_argument(
            "--to",
            default="current",
            choices=GENERATIONS,
            help="target generation (default: current; an older one migrates down)",
        )
        p.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="records per batch, checkpointed after each (default 1000)",
        )
        p.add_argument("--timeout-minutes", type=float, default=60.0)
        p.add_argument(
            "--output",
            type=Path,
            default=None,
            help="write the migrated store here and leave BASE untouched",
        )
        p.add_argument(
            "--no-preserve",
            action="store_true",
            help="delete the original tree after the cut-over (the backup stays)",
        )
        p.add_argument("--no-logs", action="store_true", help="do not write log.jsonl")
    command("status", "the run in progress or last run, the lock and the history")
    command("verify", "check a migrated store: records, counters, history, read-back")
    command("validate", "check the history's checksums against this code's steps")
    p = command("baseline", "adopt a store at a generation without changing it")
    p.add_argument("--generation", choices=GENERATIONS[1:], default=None)
    p = command("rollback", "restore the store the last apply found, byte for byte")
    p.add_argument(
        "--force",
        action="store_true",
        help="roll back even though the store changed after the migration",
    )
    p = command("recover", "after a crash: resume the run, or --restore the original")
    p.add_argument("--restore", action="store_true")
    command("unlock", "remove a stale lock (refuses while its owner is alive)")
    p = command("config", "convert an old config file or preset to the current format", base=False)
    p.add_argument("source", help="an old config file, or preset:development|production|test")
    p.add_argument("-o", "--output", type=Path, default=None, help="write the YAML here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result, code = _run(args)
    except MigrationLocked as exc:
        _print_error(exc, args)
        return EXIT_LOCKED
    except FFError as exc:
        _print_error(exc, args)
        return EXIT_FAILED if args.command in ("apply", "recover", "rollback") else EXIT_USAGE
    _print(result, args)
    return code


def _run(args: argparse.Namespace) -> tuple[Any, int]:
    if args.command == "config":
        return _config(args)
    options = MigrationOptions(
        batch_size=getattr(args, "batch_size", 1000),
        timeout_minutes=getattr(args, "timeout_minutes", 60.0),
        preserve_original_data=not getattr(args, "no_preserve", False),
        create_migration_logs=not getattr(args, "no_logs", False),
        work_dir=args.work_dir,
        output=getattr(args, "output", None),
    )
    migrator = Migrator(args.base, options)
    if args.command == "detect":
        return migrator.detect().to_dict(), EXIT_OK
    if args.command == "plan":
        return migrator.plan(args.to), EXIT_OK
    if args.command == "apply":
        return migrator.apply(args.to).to_dict(), EXIT_OK
    if args.command == "status":
        return migrator.status(), EXIT_OK
    if args.command == "verify":
        report = migrator.verify()
        return report, EXIT_OK if report["ok"] else EXIT_FAILED
    if args.command == "validate":
        problems = history.validate(args.base)
        return {
            "ok": not problems,
            "problems": problems,
            "applied": [e.label for e in history.read(args.base)],
        }, EXIT_OK if not problems else EXIT_FAILED
    if args.command == "baseline":
        entry = migrator.baseline(args.generation)
        return {"baselined_at": entry.target, "history": str(args.base / history.HISTORY)}, 0
    if args.command == "rollback":
        return migrator.rollback(force=args.force), EXIT_OK
    if args.command == "recover":
        return migrator.recover(restore=args.restore), EXIT_OK
    if args.command == "unlock":
        holder = migrator.unlock()
        return {"removed": holder}, EXIT_OK
    raise AssertionError(args.command)


def _config(args: argparse.Namespace) -> tuple[Any, int]:
    from flatfile_chat.migration import config as config_migration

    if args.source.startswith("preset:"):
        result = config_migration.migrate_preset(args.source.split(":", 1)[1])
    else:
        result = config_migration.migrate_config_file(Path(args.source))
    if args.output:
        args.output.write_text(result.to_yaml(), encoding="utf-8")
    report = result.report()
    if not args.output and not args.json:
        return result.to_yaml() + "\n" + _findings_text(report), EXIT_OK
    return report, EXIT_OK


def _findings_text(report: dict[str, Any]) -> str:
    lines = [
        f"# {f['kind']}: {f['key']}"
        + (f" (line {f['line']})" if f.get("line") else "")
        + f" - {f['detail']}"
        for f in report.get("findings", [])
        if f.get("kind") != "mapped"
    ]
    return "\n".join(lines)


def _print(result: Any, args: argparse.Namespace) -> None:
    if isinstance(result, str):
        print(result)
    elif args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(_text(args.command, result))


def _print_error(exc: FFError, args: argparse.Namespace) -> None:
    if getattr(args, "json", False):
        print(
            json.dumps(
                {
                    "error": type(exc).__name__,
                    "message": exc.message,
                    **{
                        k: v
                        for k, v in exc.context.items()
                        if isinstance(v, (str, int, float, list))
                    },
                },
                default=str,
            )
        )
    print(
        f"flatfile-chat migrate {args.command}: {type(exc).__name__}: {exc.message}",
        file=sys.stderr,
    )


def _text(command: str, result: dict[str, Any]) -> str:
    if command == "apply" and not result.get("noop"):
        before, after = result["counts_before"], result["counts_after"]
        rows = [f"{name:<17}{before[name]:>10}{after.get(name, 0):>10}" for name in before]
        lines = [
            f"migrated {result['base']} {result['source_generation']} -> "
            f"{result['target_generation']} ({len(result['steps'])} steps, "
            f"{result['batches']} batches, {result['seconds']} s, "
            f"{result['records_per_second']:,.0f} records/s)",
            f"{'collection':<17}{'before':>10}{'after':>10}",
            *rows,
            f"quarantined lines: {len(result['quarantined'])}",
        ]
        lines += [f"  {q['path']}:{q['line']}: {q['reason']}" for q in result["quarantined"]]
        lines += [f"note: {f}" for f in result["findings"]]
        lines.append(
            f"backup: {result['backup']['path']} (manifest sha256 "
            f"{result['backup']['manifest_sha256']})"
        )
        return "\n".join(lines)
    if command == "apply":
        return f"{result['base']}: {'; '.join(result['findings'])}"
    if command == "verify":
        head = "OK" if result["ok"] else f"{len(result['problems'])} problem(s)"
        return "\n".join(
            [
                f"{result['base']}: {head}; read back {result['read_back']}",
                *(f"  {p}" for p in result["problems"]),
            ]
        )
    return json.dumps(result, indent=2, default=str)
