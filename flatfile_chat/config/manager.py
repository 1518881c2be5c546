"""The root config: ``storage`` plus one section per manager (upstream
``FFConfigurationManagerConfigDTO``)."""

from __future__ import annotations

from pydantic import Field

from flatfile_chat.config.analytics import FFAnalyticsConfigDTO
from flatfile_chat.config.base import ConfigSection
from flatfile_chat.config.knowledge import FFKnowledgeBaseConfigDTO
from flatfile_chat.config.memory import FFMemoryLayerConfigDTO
from flatfile_chat.config.panel import FFPanelSessionConfigDTO
from flatfile_chat.config.storage import FFStorageConfigDTO
from flatfile_chat.config.tools import FFToolExecutionConfigDTO


class FFConfigurationManagerConfigDTO(ConfigSection):
    storage: FFStorageConfigDTO = Field(default_factory=FFStorageConfigDTO)
    memory_layer: FFMemoryLayerConfigDTO = Field(default_factory=FFMemoryLayerConfigDTO)
    panel_session: FFPanelSessionConfigDTO = Field(default_factory=FFPanelSessionConfigDTO)
    knowledge_base: FFKnowledgeBaseConfigDTO = Field(default_factory=FFKnowledgeBaseConfigDTO)
    tool_execution: FFToolExecutionConfigDTO = Field(default_factory=FFToolExecutionConfigDTO)
    analytics: FFAnalyticsConfigDTO = Field(default_factory=FFAnalyticsConfigDTO)
