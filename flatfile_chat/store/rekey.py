"""Key rotation: re-seal every file of an encrypted store with the active key.

JSONL files are rewritten through ``rewrite_jsonl``, so they come out chained (fresh epoch and
head, see :mod:`flatfile_chat.storage.chain`), legacy unchained files included."""

from __future__ import annotations

import os
from pathlib import Path

from flatfile_chat.storage.atomic import is_temp_file
from flatfile_chat.storage.chain import is_head_file
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.locks import LOCK_SUFFIX
from flatfile_chat.storage.pages import is_sidecar


def reencrypt_all(fs: FileStore) -> int:
    """Rewrite JSON, JSONL and blobs under their locks; old key ids must still be in the ring."""
    count = 0
    for dirpath, _dirs, files in os.walk(fs.root):
        for name in files:
            if (
                name.endswith(LOCK_SUFFIX)
                or is_temp_file(name)
                or ".rejected-" in name
                or is_head_file(name)  # heads are rewritten with their JSONL file
                or is_sidecar(name)
            ):  # page caches: the rewrite removes them
                continue
            path = Path(dirpath, name)
            if os.path.islink(path):
                continue  # never followed; the integrity check reports it (unsafe_link)
            with fs.lock(path):
                if name.endswith(".jsonl"):
                    # the operator's "accept the file as it is" (see chain.head_mismatch)
                    fs.rewrite_jsonl(path, fs.read_jsonl(path), accept_current=True)
                elif name.endswith(".json"):
                    fs.write_json(path, fs.read_json(path))
                else:
                    fs.write_blob(path, fs.read_blob(path), exclusive=False)
            count += 1
    return count
