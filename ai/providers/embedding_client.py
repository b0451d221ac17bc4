"""The caller's side of the embedding server: send texts, get float32 vectors back.

Used by `SentenceTransformersProvider` when PULSE_EMBEDDING_SERVER names a server, so that a web
worker or a Celery child never imports torch or loads a model. One connection per thread, kept
open between calls (and opened anew after a fork, since a forked child must not share its
parent's socket). A server that is down, refuses, or does not answer within the call's timeout is
a `TransientProviderError` (fallback or retry later); a request the server rejects as wrong is a
`PermanentProviderError`. Never a made-up vector.
"""

import contextlib
import os
import socket
import threading

import numpy as np

from ai.providers import embedding_wire as wire
from ai.providers.errors import PermanentProviderError, TransientProviderError

_local = threading.local()
warm: set[tuple[str, str, str, str]] = set()  # (server, model, model_path, backend) seen loaded


def settings_address() -> str:
    from django.conf import settings

    return getattr(settings, "PULSE_EMBEDDING_SERVER", "")


def _token() -> str:
    from django.conf import settings

    return getattr(settings, "PULSE_EMBEDDING_SERVER_TOKEN", "")


def _max_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "PULSE_EMBEDDING_SERVER_MAX_BYTES", wire.DEFAULT_MAX_BODY_BYTES))


def _connection(address: wire.Address, timeout: float) -> tuple[socket.socket, bool]:
    """This thread's open connection to `address` (and whether it was reused), or a new one."""
    key = (os.getpid(), str(address))
    cached = getattr(_local, "conns", {}).get(key)
    if cached is not None:
        cached.settimeout(timeout)
        return cached, True
    sock = socket.socket(address.family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address.target)
    except OSError as exc:
        sock.close()
        raise TransientProviderError(
            f"sentence_transformers: the embedding server at {address} is down ({exc})"
        ) from None
    if address.family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _local.conns = {k: v for k, v in getattr(_local, "conns", {}).items() if k[0] == os.getpid()} | {key: sock}
    return sock, False


def _drop(address: wire.Address) -> None:
    sock = getattr(_local, "conns", {}).pop((os.getpid(), str(address)), None)
    if sock is not None:
        sock.close()


def _send(sock, header: dict, body: bytes) -> None:
    """Send a request; when the server hangs up mid-send, it said why first (a request over its
    limit): the answer is read, not lost behind the broken pipe."""
    try:
        wire.send_frame(sock, header, body)
    except (BrokenPipeError, ConnectionResetError):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)


def _exchange(address: wire.Address, header: dict, body: bytes, timeout: float) -> tuple[dict, bytes]:
    """One request and its answer. A kept connection the server has since closed (a restart) is
    retried once on a fresh one: every operation is idempotent."""
    for attempt in (0, 1):
        sock, reused = _connection(address, timeout)
        try:
            _send(sock, header, body)
            prefix = wire.read_prefix(sock, max_body=1 << 31)
            if prefix is None:
                raise ConnectionError("the server closed the connection")
            return wire.read_rest(sock, *prefix)
        except TimeoutError:
            _drop(address)
            raise TransientProviderError(
                f"sentence_transformers: the embedding server at {address} did not answer within {timeout:.0f}s"
            ) from None
        except (OSError, wire.FrameError) as exc:
            _drop(address)
            if reused and attempt == 0:
                continue
            raise TransientProviderError(
                f"sentence_transformers: the embedding server at {address} failed: {exc}"
            ) from None
    raise AssertionError("unreachable")


def call(header: dict, body: bytes = b"", *, timeout: float) -> tuple[dict, bytes]:
    """Send one operation to the configured server; its answer, or the error it stands for."""
    try:
        address = wire.parse_address(settings_address())
    except ValueError as exc:
        raise PermanentProviderError(f"sentence_transformers: PULSE_EMBEDDING_SERVER: {exc}") from None
    answer, payload = _exchange(address, {**header, "token": _token()}, body, timeout)
    if not answer.get("ok"):
        error = PermanentProviderError if answer.get("permanent") else TransientProviderError
        raise error(f"sentence_transformers (embedding server): {answer.get('error', 'failed')}")
    return answer, payload


def chunks(texts: list[str]) -> list[tuple[list[int], bytes]]:
    """The texts packed into requests under the server's size limits; a single text over the byte
    limit is a permanent error naming the limit (the server would refuse it)."""
    max_bytes, max_texts = _max_bytes(), wire.DEFAULT_MAX_TEXTS
    lengths, body = wire.pack_texts(texts)
    out, start, offset = [], 0, 0
    size = 0
    for index, length in enumerate(lengths):
        if length > max_bytes:
            raise PermanentProviderError(
                f"sentence_transformers: text {index} is {length} bytes, over the embedding server's limit of "
                f"{max_bytes} bytes per request (PULSE_EMBEDDING_SERVER_MAX_BYTES)"
            )
        if index > start and (size + length > max_bytes or index - start >= max_texts):
            out.append((lengths[start:index], body[offset : offset + size]))
            start, offset, size = index, offset + size, 0
        size += length
    out.append((lengths[start:], body[offset : offset + size]))
    return out


def embed(model: dict, texts: list[str], *, batch_size: int, timeout: float) -> tuple[np.ndarray, int]:
    """(vectors, tokens read) for `texts` from the server, in order, in as many requests as the
    limits need."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    matrices, tokens = [], 0
    for lengths, body in chunks(texts):
        header = {"op": "embed", **model, "batch_size": batch_size, "timeout": timeout, "lengths": lengths}
        answer, payload = call(header, body, timeout=timeout + 1)
        matrices.append(wire.unpack_vectors(payload, int(answer["rows"]), int(answer["dims"])))
        tokens += int(answer["tokens"])
    return np.vstack(matrices), tokens


def warm_up(model: dict, *, timeout: float) -> bool:
    """Have the server load `model` (once per process and server): True when the server loaded it
    just now, so the caller's ledger shows the wait. The server loads its default model before it
    listens, so a caller of the default never waits."""
    key = (settings_address(), model["model"], model["model_path"], model["backend"])
    if key in warm:
        return False
    answer, _ = call({"op": "warm", **model}, timeout=max(timeout, 120.0))
    warm.add(key)
    return bool(answer.get("cold"))


def count_tokens(model: dict, text: str, *, timeout: float) -> int:
    lengths, body = wire.pack_texts([text])
    return int(call({"op": "count", **model, "lengths": lengths}, body, timeout=timeout)[0]["count"])


def truncate(model: dict, text: str, max_tokens: int, *, timeout: float) -> str:
    lengths, body = wire.pack_texts([text])
    header = {"op": "truncate", **model, "lengths": lengths, "max_tokens": int(max_tokens)}
    return call(header, body, timeout=timeout)[1].decode("utf-8", "surrogatepass")
