"""A writer that runs until it is killed: big appends plus JSON rewrites (for the crash test)."""

from __future__ import annotations

import asyncio
import sys

from flatfile_chat import FFStorageManager, IdSource, load_config


async def main(root: str, session_id: str) -> None:
    config = load_config(preset="test", overrides={"storage": {"max_message_size_bytes": 8 << 20}})
    store = FFStorageManager(config, base_path=root, ids=IdSource())
    big = "x" * (1 << 20)
    i = 0
    print("ready", flush=True)
    while True:
        i += 1
        await store.add_message("alice", session_id, {"role": "user", "content": f"{i}{big}"})
        await store.update_session_metadata(
            "alice", session_id, {"metadata": {"i": i, "pad": big[:5000]}}
        )
        await store.update_context(
            "alice", session_id, {"summary": f"v{i}" + big[:100_000], "confidence": 0.5}
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
