"""Named crash points for crash-injection tests (the failpoint pattern of TiKV/FoundationDB).

``FLATFILE_CHAT_FAILPOINT=batch:3`` makes the process SIGKILL itself at the third batch
boundary; ``inbatch:3`` in the middle of the third batch; ``cutover:moved`` between the two
renames of a cut-over. Unset (always, outside tests), a failpoint costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "FLATFILE_CHAT_FAILPOINT"


def hit(name: str, n: int | str = "") -> None:
    wanted = os.environ.get(ENV)
    if wanted and wanted == f"{name}:{n}":
        os.kill(os.getpid(), signal.SIGKILL)
