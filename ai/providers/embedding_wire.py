"""The embedding server's wire format, shared by the server and its clients.

One frame each way: `PES1`, the header's length and the body's length (network order), a small
JSON header (the operation, the model, the texts' byte lengths, or the answer's shape) and a
binary body: the texts as UTF-8 one after another going in, little-endian float32 vectors coming
back. Vectors never travel as JSON floats (slower to write and read, and lossy at 17 digits).

Sizes are checked from the fixed prefix, before anything is read: a peer declaring more than the
limit gets an error frame and the connection is closed (nothing of the body is kept).
"""

import json
import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

MAGIC = b"PES1"
PREFIX = struct.Struct("!4sII")
MAX_HEADER_BYTES = 256 * 1024  # a header carries one length per text: 1,024 texts fit many times over
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_TEXTS = 1024


class FrameError(Exception):
    """The peer sent something that is not a frame of ours, or one over the limits."""


@dataclass(frozen=True)
class Address:
    """Where the server listens: a unix socket path, or a TCP host and port."""

    path: str = ""
    host: str = ""
    port: int = 0

    @property
    def family(self) -> int:
        return socket.AF_UNIX if self.path else socket.AF_INET

    @property
    def target(self) -> str | tuple[str, int]:
        return self.path or (self.host, self.port)

    def __str__(self) -> str:
        return f"unix://{self.path}" if self.path else f"tcp://{self.host}:{self.port}"


def parse_address(value: str) -> Address:
    """`unix:///run/pulse/embeddings.sock`, a bare absolute path, or `tcp://host:port`."""
    if value.startswith("tcp://"):
        parts = urlsplit(value)
        if not parts.hostname or not parts.port:
            raise ValueError(f"embedding server address '{value}' needs a host and a port (tcp://host:port)")
        return Address(host=parts.hostname, port=parts.port)
    path = value.removeprefix("unix://")
    if not path.startswith("/"):
        raise ValueError(f"embedding server address '{value}': use unix:///absolute/path or tcp://host:port")
    return Address(path=path)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the peer closed the connection mid-frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send_frame(sock: socket.socket, header: dict, body: bytes = b"") -> None:
    data = json.dumps(header, separators=(",", ":")).encode()
    sock.sendall(PREFIX.pack(MAGIC, len(data), len(body)) + data + body)


def read_prefix(sock: socket.socket, max_body: int) -> tuple[int, int] | None:
    """(header length, body length) of the next frame, or None when the peer closed cleanly."""
    first = sock.recv(PREFIX.size)
    if not first:
        return None
    raw = first + _read_exactly(sock, PREFIX.size - len(first)) if len(first) < PREFIX.size else first
    magic, header_len, body_len = PREFIX.unpack(raw)
    if magic != MAGIC:
        raise FrameError("not an embedding server frame")
    if header_len > MAX_HEADER_BYTES:
        raise FrameError(f"header of {header_len} bytes is over the limit of {MAX_HEADER_BYTES}")
    if body_len > max_body:
        raise FrameError(f"request of {body_len} bytes is over the embedding server's limit of {max_body} bytes")
    return header_len, body_len


def read_rest(sock: socket.socket, header_len: int, body_len: int) -> tuple[dict, bytes]:
    header = json.loads(_read_exactly(sock, header_len))
    if not isinstance(header, dict):
        raise FrameError("the frame's header is not a JSON object")
    return header, _read_exactly(sock, body_len)


def pack_texts(texts: list[str]) -> tuple[list[int], bytes]:
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    return [len(item) for item in encoded], b"".join(encoded)


def unpack_texts(lengths: list[int], body: bytes) -> list[str]:
    if not isinstance(lengths, list) or sum(lengths) != len(body) or any(n < 0 for n in lengths):
        raise FrameError("the texts' lengths do not match the body")
    texts, offset = [], 0
    for length in lengths:
        texts.append(body[offset : offset + length].decode("utf-8", "surrogatepass"))
        offset += length
    return texts


def pack_vectors(matrix: np.ndarray) -> bytes:
    return np.ascontiguousarray(matrix, dtype="<f4").tobytes()


def unpack_vectors(body: bytes, rows: int, dims: int) -> np.ndarray:
    if len(body) != rows * dims * 4:
        raise FrameError(f"expected {rows}x{dims} float32 values, got {len(body)} bytes")
    return np.frombuffer(body, dtype="<f4").reshape(rows, dims)
