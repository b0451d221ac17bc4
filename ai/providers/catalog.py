"""The model catalog (`catalog.yaml` beside this file) with per-integration overrides."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
OVERRIDABLE = ("dimensions", "max_tokens", "input_price_per_1k", "output_price_per_1k", "capabilities", "tier")
CAPABILITIES = ("embedding", "text_generation", "analysis")
SELF_HOSTED = ("sentence_transformers", "local_openai")  # models run by the tenant: no vendor bills them


@dataclass(frozen=True)
class ModelInfo:
    name: str
    provider: str
    dimensions: int | None
    max_tokens: int | None
    input_price_per_1k: float | None  # USD; None = unknown (recorded as unpriced, never as $0)
    output_price_per_1k: float | None
    capabilities: tuple[str, ...]
    tier: str  # fast | balanced | quality


@lru_cache(maxsize=1)
def _entries() -> tuple[dict, ...]:
    return tuple(yaml.safe_load(CATALOG_PATH.read_text())["models"])


def _info(entry: dict) -> ModelInfo:
    return ModelInfo(
        name=entry["name"],
        provider=entry["provider"],
        dimensions=entry.get("dimensions"),
        max_tokens=entry.get("max_tokens"),
        input_price_per_1k=entry.get("input_price_per_1k"),
        output_price_per_1k=entry.get("output_price_per_1k"),
        capabilities=tuple(entry.get("capabilities") or ()),
        tier=entry.get("tier", "balanced"),
    )


def catalog_models(*, capability: str | None = None, provider: str | None = None) -> list[ModelInfo]:
    infos = [_info(entry) for entry in _entries()]
    return [
        info
        for info in infos
        if (capability is None or capability in info.capabilities) and (provider is None or info.provider == provider)
    ]


def model_info(*, provider: str, model: str, overrides: dict | None = None) -> ModelInfo:
    """The catalog entry for (provider, model) with the integration's overrides applied.

    A model the catalog does not know still gets an entry: unknown price (None), except on a
    provider that runs on the tenant's own hardware (free), and the capabilities and dimensions
    the integration declares.
    """
    base = next((e for e in _entries() if e["provider"] == provider and e["name"] == model), None)
    entry = dict(base or {"provider": provider, "name": model, "capabilities": [], "tier": "balanced"})
    if base is None and provider in SELF_HOSTED:
        entry.update(input_price_per_1k=0.0, output_price_per_1k=0.0)
    for key in OVERRIDABLE:
        if overrides and overrides.get(key) is not None:
            entry[key] = overrides[key]
    return _info(entry)
