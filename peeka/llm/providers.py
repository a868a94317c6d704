"""The registry of LLM providers: a name maps to a dotted path "module:Class", imported only
when asked for, so a deployment on the offline default never loads the `openai` SDK."""

from __future__ import annotations

from peeka.llm.base import LLMError, Provider, Settings
from peeka.plugins import instantiate

PROVIDERS: dict[str, str] = {
    "offline": "peeka.llm.offline_provider:OfflineProvider",
    "openai": "peeka.llm.openai_provider:OpenAIProvider",
}


def provider_for(settings: Settings) -> Provider:
    """A new provider for `settings`: "openai" with a base URL, else "offline". Each has its
    own `calls`; build one per task (a request, a job) rather than one per process."""
    try:
        provider: Provider = instantiate(PROVIDERS, settings.provider, "LLM provider")
    except ValueError as exc:
        raise LLMError("llm_config", str(exc)) from None
    provider.configure(settings)
    return provider
