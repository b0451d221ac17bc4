"""Provider key → adapter class, imported lazily (like Django's CACHES backends)."""

from django.utils.module_loading import import_string

from ai.providers.base import BaseProvider, ProviderConfig
from ai.providers.errors import UnknownProviderError

PROVIDERS: dict[str, str] = {
    "sentence_transformers": "ai.providers.local.SentenceTransformersProvider",
    "openai": "ai.providers.openai_compatible.OpenAIProvider",
    "azure_openai": "ai.providers.openai_compatible.AzureOpenAIProvider",
    "google_gemini": "ai.providers.openai_compatible.GeminiProvider",
    "local_openai": "ai.providers.openai_compatible.LocalServerProvider",
    "custom_gateway": "ai.providers.gateway.CustomGatewayProvider",
    "anthropic_claude": "ai.providers.anthropic.AnthropicProvider",
}


# How people call each provider type (the hub, messages), rather than its key.
PROVIDER_LABELS: dict[str, str] = {
    "sentence_transformers": "Local model (sentence-transformers)",
    "openai": "OpenAI",
    "azure_openai": "Azure OpenAI",
    "google_gemini": "Google Gemini",
    "custom_gateway": "Custom gateway (OpenAI-compatible)",
    "anthropic_claude": "Anthropic Claude",
    "local_openai": "Local OpenAI-compatible server (llama.cpp, Ollama, vLLM; no key)",
}


def provider_label(key: str) -> str:
    return PROVIDER_LABELS.get(key, key)


def provider_class(key: str) -> type[BaseProvider]:
    try:
        return import_string(PROVIDERS[key])
    except KeyError:
        raise UnknownProviderError(f"Unknown provider '{key}'. Known: {', '.join(sorted(PROVIDERS))}.") from None


def build_provider(config: ProviderConfig) -> BaseProvider:
    return provider_class(config.provider)(config)


def can_embed(key: str) -> bool:
    """Whether the provider type produces embeddings at all (Claude does not), whatever a row claims."""
    try:
        return provider_class(key).embed is not BaseProvider.embed
    except UnknownProviderError:
        return False
