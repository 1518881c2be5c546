"""Memory layers (spec 2.1): immediate → short_term → medium_term → long_term → permanent."""

from flatfile_chat.memory.manager import FFMemoryLayerManager
from flatfile_chat.memory.models import (
    FFMemoryCompressionResultDTO,
    FFMemoryContextDTO,
    MemoryLayerType,
)

__all__ = [
    "FFMemoryCompressionResultDTO",
    "FFMemoryContextDTO",
    "FFMemoryLayerManager",
    "MemoryLayerType",
]
