"""Configuration: pydantic models mirroring upstream DTO names, loadable from files/presets."""

from flatfile_chat.config.analytics import FFAnalyticsConfigDTO
from flatfile_chat.config.knowledge import FFKnowledgeBaseConfigDTO, FFRAGSessionConfigDTO
from flatfile_chat.config.loader import deep_merge, load_config, preset_names, validate_config
from flatfile_chat.config.manager import FFConfigurationManagerConfigDTO
from flatfile_chat.config.memory import FFMemoryLayerConfigDTO
from flatfile_chat.config.panel import FFPanelSessionConfigDTO
from flatfile_chat.config.storage import FFEncryptionConfigDTO, FFStorageConfigDTO
from flatfile_chat.config.tools import FFToolExecutionConfigDTO, FFToolSecurityPolicyDTO

__all__ = [
    "FFAnalyticsConfigDTO",
    "FFConfigurationManagerConfigDTO",
    "FFEncryptionConfigDTO",
    "FFKnowledgeBaseConfigDTO",
    "FFMemoryLayerConfigDTO",
    "FFPanelSessionConfigDTO",
    "FFRAGSessionConfigDTO",
    "FFStorageConfigDTO",
    "FFToolExecutionConfigDTO",
    "FFToolSecurityPolicyDTO",
    "deep_merge",
    "load_config",
    "preset_names",
    "validate_config",
]
