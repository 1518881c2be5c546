"""The base store: users, sessions, messages, documents, personas, situational context."""

from flatfile_chat.store.manager import FFStorageManager
from flatfile_chat.store.models import (
    FFDocumentDTO,
    FFMessageDTO,
    FFPersonaDTO,
    FFSessionDTO,
    FFSituationalContextDTO,
    FFUserProfileDTO,
)

__all__ = [
    "FFDocumentDTO",
    "FFMessageDTO",
    "FFPersonaDTO",
    "FFSessionDTO",
    "FFSituationalContextDTO",
    "FFStorageManager",
    "FFUserProfileDTO",
]
