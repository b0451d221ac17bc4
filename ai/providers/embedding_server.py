"""One process that holds the local embedding models for every other process on the machine.

`manage.py serve_embeddings` runs it. Each (model folder, backend) is loaded once, here, by the
same code the in-process adapter runs (`ai.providers.local`), so a caller gets exactly the vectors
it would have computed itself; web workers and Celery children then import neither torch nor
onnxruntime. The default model on the default backend is loaded before the socket opens: once
the server answers, no caller waits for a cold load.

Transport: a unix socket (mode 0600, the default, under PULSE_VAR_DIR) or TCP for callers in
other containers, where every request must carry PULSE_EMBEDDING_SERVER_TOKEN. One thread per
connection reads frames (`embedding_wire`); encoding runs on the adapter's single encode thread
with PULSE_LOCAL_THREADS intra-op threads, so concurrent callers queue rather than fight for cores.
"""

import hmac
import logging
import os
import socket
import socketserver
from pathlib import Path

from ai.providers import embedding_wire as wire
from ai.providers import local
from ai.providers.base import ProviderConfig
from ai.providers.errors import ProviderError

logger = logging.getLogger(__name__)


class BadRequest(Exception):
    pass


class EmbeddingService:
    """Answers one decoded request with (header, body); knows nothing of sockets."""

    def __init__(self, *, token: str = "", max_texts: int = wire.DEFAULT_MAX_TEXTS) -> None:
        self.token = token
        self.max_texts = max_texts

    def provider(self, header: dict) -> local.SentenceTransformersProvider:
        config = ProviderConfig(
            provider="sentence_transformers",
            model=str(header.get("model") or local.DEFAULT_MODEL),
            timeout=float(header.get("timeout") or 30.0),
            batch_size=int(header.get("batch_size") or 32),
            extra={
                "model_path": str(header.get("model_path") or ""),
                "local_backend": str(header.get("backend") or ""),
            },
        )
        return local.SentenceTransformersProvider(config)

    def texts(self, header: dict, body: bytes) -> list[str]:
        lengths = header.get("lengths", [])
        if not isinstance(lengths, list) or len(lengths) > self.max_texts:
            raise BadRequest(f"at most {self.max_texts} texts per request")
        try:
            return wire.unpack_texts(lengths, body)
        except (wire.FrameError, TypeError, UnicodeDecodeError) as exc:
            raise BadRequest(str(exc)) from None

    def answer(self, header: dict, body: bytes) -> tuple[dict, bytes]:
        if self.token and not hmac.compare_digest(str(header.get("token", "")).encode(), self.token.encode()):
            return {"ok": False, "permanent": True, "error": "wrong or missing PULSE_EMBEDDING_SERVER_TOKEN"}, b""
        try:
            return self.dispatch(str(header.get("op", "")), header, body)
        except ProviderError as exc:
            return {"ok": False, "permanent": exc.permanent, "error": str(exc)}, b""
        except (BadRequest, ValueError, TypeError) as exc:
            return {"ok": False, "permanent": True, "error": f"bad request: {exc}"}, b""
        except Exception as exc:  # a server reports errors, it does not die
            logger.exception("embedding server: %s failed", header.get("op"))
            return {"ok": False, "permanent": False, "error": f"{type(exc).__name__}: {exc}"}, b""

    def dispatch(self, op: str, header: dict, body: bytes) -> tuple[dict, bytes]:
        provider = self.provider(header)
        if op == "embed":
            texts = self.texts(header, body)
            matrix, tokens = provider.embed_matrix(texts)
            rows, dims = (matrix.shape[0], matrix.shape[1]) if texts else (0, 0)
            return {"ok": True, "rows": rows, "dims": dims, "tokens": tokens}, wire.pack_vectors(matrix)
        if op == "count":
            return {"ok": True, "count": provider.count_tokens(self.texts(header, body)[0])}, b""
        if op == "truncate":
            text = provider.truncate(self.texts(header, body)[0], int(header["max_tokens"]))
            return {"ok": True}, text.encode("utf-8", "surrogatepass")
        if op == "warm":
            return {"ok": True, "cold": provider.warm_up()}, b""
        raise BadRequest(f"unknown operation '{op}'")


def make_handler(service: EmbeddingService, max_body: int) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            while True:
                try:
                    prefix = wire.read_prefix(sock, max_body)
                    if prefix is None:
                        return
                    header, body = wire.read_rest(sock, *prefix)
                except wire.FrameError as exc:
                    # The rest of an oversized frame is never read: answer, then close.
                    self.reply(sock, {"ok": False, "permanent": True, "error": str(exc)}, b"")
                    return
                except (OSError, ValueError):
                    return
                if not self.reply(sock, *service.answer(header, body)):
                    return

        @staticmethod
        def reply(sock: socket.socket, header: dict, body: bytes) -> bool:
            try:
                wire.send_frame(sock, header, body)
            except OSError:
                return False
            return True

    return Handler


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # Created 0600 (no window where another user could connect), then checked.
        previous = os.umask(0o177)
        try:
            super().server_bind()
        finally:
            os.umask(previous)
        os.chmod(self.server_address, 0o600)

    def server_close(self) -> None:
        super().server_close()
        Path(self.server_address).unlink(missing_ok=True)


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _claim_socket_path(path: Path) -> None:
    """Remove a socket file a dead server left; refuse when a live server still answers on it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()
            return
    raise OSError(f"another embedding server is listening on {path}")


def make_server(address: wire.Address, *, token: str = "", max_body: int = wire.DEFAULT_MAX_BODY_BYTES):
    """An unstarted server at `address`. TCP requires a token: any process that can reach the
    port could otherwise use the models."""
    handler = make_handler(EmbeddingService(token=token), max_body)
    if address.path:
        _claim_socket_path(Path(address.path))
        return UnixServer(address.path, handler)
    if not token:
        raise ValueError("a TCP embedding server needs PULSE_EMBEDDING_SERVER_TOKEN")
    return TcpServer((address.host, address.port), handler)


def load_default_model() -> bool:
    """Load the default model on the default backend in this process (the server, before it
    listens); True when it was loaded now."""
    local.serve_in_process()
    config = ProviderConfig(provider="sentence_transformers", model=local.DEFAULT_MODEL)
    return local.SentenceTransformersProvider(config).warm_up()
