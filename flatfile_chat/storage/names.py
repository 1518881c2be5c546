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
import os
from typing import TYPE_CHECKING

from flatfile_chat.errors import ConfigError

if TYPE_CHECKING:
    from flatfile_chat.storage.filestore import FileStore

PREFIX = "u"
MARKER = ".user-names.json"  # at the root: which naming the store was created with
_KEY = "storage.encryption.names_key"


class UserFolderNames:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def folder(self, user_id: str) -> str:
        """Of the case-folded id: ids that differ only in case share a folder, so the store
        refuses the second one as it does without pseudonyms (on case-insensitive disks)."""
        digest = hmac.new(self._key, user_id.casefold().encode(), hashlib.sha256).digest()
        return PREFIX + base64.b32encode(digest).decode().lower()[:26]

    def fingerprint(self) -> str:
        """Tells the key apart from another without revealing it."""
        return hmac.new(self._key, b"prism-flatfile-chat/user-names", hashlib.sha256).hexdigest()[
            :16
        ]


def check_naming(fs: FileStore) -> None:
    """Refuse to open a store with a naming other than the one it was created with: a plain
    store opened with a names key would look empty (and create twins of its users), a
    pseudonymous one opened without it would list pseudonyms as user ids."""
    marker = fs.path(MARKER)
    stored = fs.read_json(marker, default=None)
    names = fs.user_names
    if names is None:
        if stored is not None:
            raise ConfigError(
                f"{fs.root}: user folders are keyed pseudonyms; open the store "
                f"with {_KEY} set to the key it was created with",
                key=_KEY,
            )
        return
    if stored is None:
        users = fs.root / "users"
        if users.is_dir() and any(not n.startswith(".") for n in os.listdir(users)):
            raise ConfigError(
                f"{fs.root} was created without a names key (user folders are "
                f"named by id); {_KEY} can only be set for a new store",
                key=_KEY,
            )
        fs.write_json(marker, {"fingerprint": names.fingerprint()})
    elif stored.get("fingerprint") != names.fingerprint():
        raise ConfigError(f"{fs.root}: {_KEY} is not the key this store was created with", key=_KEY)
