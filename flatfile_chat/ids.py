"""Injectable id source: random in production, seeded in scenarios for repeatable runs."""

from __future__ import annotations

import random
import secrets
import threading


class IdSource:
    """Produces hex tokens; every id the store generates comes from one of these."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else None
        # Session suffixes draw from their own stream, so adding them moved no other seeded id.
        self._session_rng = random.Random(f"session-{seed}") if seed is not None else None
        self._lock = threading.Lock()

    def hex(self, length: int) -> str:
        """``length`` lowercase hex characters."""
        if self._rng is None:
            return secrets.token_hex((length + 1) // 2)[:length]
        with self._lock:
            return f"{self._rng.getrandbits(length * 4):0{length}x}"

    def session_suffix(self) -> str:
        """64 random bits (16 hex) for a generated session id: from ``secrets`` in production
        (ASVS 7.2.3: unguessable references), from a seeded stream in scenario runs."""
        if self._session_rng is None:
            return secrets.token_hex(8)
        with self._lock:
            return f"{self._session_rng.getrandbits(64):016x}"

    def prefixed(self, prefix: str, length: int = 12) -> str:
        """``{prefix}_{hex}``, e.g. ``msg_3fa4c2d19b0e``."""
        return f"{prefix}_{self.hex(length)}"

    def token_bytes(self, n: int) -> bytes:
        """Random bytes (nonces). Never seeded: a repeated AES-GCM nonce breaks the cipher."""
        return secrets.token_bytes(n)
