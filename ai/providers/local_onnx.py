"""The local sentence-transformers model on ONNX Runtime: fp32 (`onnx`) or int8 (`onnx-int8`).

Exported offline from the packaged model folder, never downloaded: `torch.onnx.export` of the
transformer with mean pooling and normalisation inside the graph (the same three modules the
sentence-transformers pipeline runs), then, for int8, `onnxruntime.quantization.quantize_dynamic`
(QInt8 weights, per channel: per-tensor measured too lossy, cosine 0.96). The files are cached
under var/models/<model>-<fingerprint>/ and made once (`manage.py prepare_local_model`, run by
`make migrate`, or at first use), under a file lock so that two processes never export at once.

Traps handled here:
- the packaged tokenizer.json hard-codes truncation *and padding* to 128 tokens, while the model
  reads 256 (sentence_bert_config.json): the tokenizer is reset to the model's own length and to
  padding to the longest text of a batch;
- dynamic int8 quantises activations with one scale per batch, so a text's vector would shift
  with its batch mates; the int8 backend runs each text alone, which keeps a text's vector a
  function of the text only (the content-hash cache stays exact) and costs little, as a 2-core
  CPU gains almost nothing from batching a 6-layer model.
"""

import fcntl
import hashlib
import json
import os
from pathlib import Path

import numpy as np

BACKENDS = ("torch", "onnx", "onnx-int8")
OPSET = 17


def _fingerprint(model_dir: Path) -> str:
    """Changes when the model's weights or config change (a new package version)."""
    digest = hashlib.sha256()
    for name in ("config.json", "sentence_bert_config.json", "tokenizer.json"):
        path = model_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    for weights in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("pytorch_model.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:12]


def models_dir() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "models"


def export_dir(model_dir: Path) -> Path:
    return models_dir() / f"{model_dir.resolve().name}-{_fingerprint(model_dir)}"


def max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.exists() else 256


def _export_fp32(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        """The transformer, then mean pooling over real tokens and L2 normalisation."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(
            Pooled(model),
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)  # the quantizer logs a line per tensor at INFO on the root logger
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def prepare(model_dir: Path, backend: str) -> Path:
    """The ONNX file for `backend`, exported (and quantised) on first call, then reused."""
    folder = export_dir(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fp32, int8 = folder / "model.onnx", folder / "model-int8.onnx"
    wanted = int8 if backend == "onnx-int8" else fp32
    if wanted.exists():
        return wanted
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be exporting: wait, then reuse
        for path, make in ((fp32, lambda t: _export_fp32(model_dir, t)), (int8, lambda t: _quantize(fp32, t))):
            if path.exists() or (path is int8 and wanted is fp32):
                continue
            partial = path.parent / f"{path.stem}.partial-{os.getpid()}.onnx"
            make(partial)
            partial.replace(path)  # atomic: a reader never sees half a file
    return wanted


class OnnxEncoder:
    """Sentence vectors from an exported model: tokenizers + onnxruntime, `threads` intra-op threads."""

    def __init__(self, model_dir: Path, backend: str, threads: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        self.backend = backend
        self.max_seq_length = max_seq_length(model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The packaged file pads and truncates to 128: the model reads 256, and fixed padding
        # would make every short text pay for 128 tokens.
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(prepare(model_dir, backend)), options, providers=["CPUExecutionProvider"]
        )

    def _run(self, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(["embedding"], feed)[0]

    def encode(self, texts: list[str], batch_size: int = 32) -> tuple[np.ndarray, int]:
        """(unit vectors in input order, tokens read). Sorted by length so a batch pads little;
        int8 runs one text at a time (see the module notes)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), 0
        encodings = self.tokenizer.encode_batch(texts)
        size = 1 if self.backend == "onnx-int8" else max(1, batch_size)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: list[np.ndarray | None] = [None] * len(texts)
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            for i, vector in zip(chunk, self._run([encodings[i] for i in chunk]), strict=True):
                out[i] = vector
        tokens = sum(len(e.ids) - 2 for e in encodings)  # without [CLS] and [SEP], as for torch
        return np.vstack(out).astype(np.float32), tokens
