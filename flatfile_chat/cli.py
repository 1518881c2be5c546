"""``flatfile-chat``: the store's own command line (``migrate ...`` today)."""

from __future__ import annotations

import sys

USAGE = """usage: flatfile-chat TOOL ...

tools:
  migrate   migrate an old store (G0-G3) to the current layout, roll back, recover
            (`flatfile-chat migrate --help` for its commands)"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["migrate"]:
        from flatfile_chat.migration.cli import main as migrate_main

        return migrate_main(argv[1:])
    print(USAGE, file=sys.stderr if argv[:1] not in (["-h"], ["--help"]) else sys.stdout)
    return 0 if argv[:1] in (["-h"], ["--help"]) else 2


if __name__ == "__main__":
    raise SystemExit(main())
