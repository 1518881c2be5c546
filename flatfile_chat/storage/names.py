"""Keyed pseudonymous user folder names (opt-in, with encryption at rest).

Why: encryption hides what files hold, not what they are called, and user ids (often a name or
a login) are folder names. With ``storage.encryption.names_key`` set, ``users/{user_id}`` is
stored as ``users/u{HMAC-SHA256(names_key, user_id)}`` (26 base32 characters, 130 bits): the same
id always maps to the same folder, nobody without the key can tell which user it is or test a
guess. The key is separate from the data keys so rotating those renames nothing. Reading back
which user a folder holds (listings, checks) opens the folder's sealed ``profile.json``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "u"


class UserFolderNames:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def folder(self, user_id: str) -> str:
        """Of the case-folded id: ids that differ only in case share a folder, so the store
        refuses the second one as it does without pseudonyms (on case-insensitive disks)."""
        digest = hmac.new(self._key, user_id.casefold().encode(), hashlib.sha256).digest()
        return PREFIX + base64.b32encode(digest).decode().lower()[:26]
