"""A loopback Qdrant server for local mode, backed by qdrant-client's embedded storage.

Embedded mode locks its folder to one process, but the web server, the Celery worker and beat
all need vectors. This process owns the folder and speaks the subset of Qdrant's REST API that
Pulse uses, so every other process talks to it with `QdrantClient(url=...)`: the same code path
as a production Qdrant server. It is a development convenience (the embedded store is exact and
pure Python: fine to ~20k points per collection), never a production store.

Endpoints mirror https://api.qdrant.tech/api-reference (collections, points, query, index).
"""

import json
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import to_jsonable_python
from qdrant_client import QdrantClient, models

logger = logging.getLogger(__name__)

_NAME = r"(?P<name>[A-Za-z0-9_\-]+)"


class _NotFound(Exception):
    pass


class LocalQdrantService:
    """Maps REST calls onto one embedded client, one call at a time (the embedded store is not thread-safe)."""

    def __init__(self, client: QdrantClient) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern, Callable[..., Any]]] = [
            ("GET", re.compile(r"^/collections$"), self.list_collections),
            ("GET", re.compile(rf"^/collections/{_NAME}/exists$"), self.collection_exists),
            ("GET", re.compile(rf"^/collections/{_NAME}$"), self.get_collection),
            ("PUT", re.compile(rf"^/collections/{_NAME}$"), self.create_collection),
            ("DELETE", re.compile(rf"^/collections/{_NAME}$"), self.delete_collection),
            ("PUT", re.compile(rf"^/collections/{_NAME}/index$"), self.create_index),
            ("PUT", re.compile(rf"^/collections/{_NAME}/points$"), self.upsert),
            ("POST", re.compile(rf"^/collections/{_NAME}/points$"), self.retrieve),
            ("POST", re.compile(rf"^/collections/{_NAME}/points/delete$"), self.delete_points),
            ("POST", re.compile(rf"^/collections/{_NAME}/points/scroll$"), self.scroll),
            ("POST", re.compile(rf"^/collections/{_NAME}/points/count$"), self.count),
            ("POST", re.compile(rf"^/collections/{_NAME}/points/query$"), self.query),
            ("POST", re.compile(rf"^/collections/{_NAME}/points/query/batch$"), self.query_batch),
        ]

    def dispatch(self, method: str, path: str, body: dict) -> Any:
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                with self.lock:
                    return handler(body=body, **match.groupdict())
        raise _NotFound(f"{method} {path} is not served by the local vector server")

    def _require(self, name: str) -> None:
        if not self.client.collection_exists(name):
            raise _NotFound(f"Collection `{name}` doesn't exist!")

    def list_collections(self, body):
        return self.client.get_collections()

    def collection_exists(self, body, name):
        return {"exists": self.client.collection_exists(name)}

    def get_collection(self, body, name):
        self._require(name)
        return self.client.get_collection(name)

    def create_collection(self, body, name):
        spec = models.CreateCollection.model_validate(body)
        return self.client.create_collection(
            name, vectors_config=spec.vectors, sparse_vectors_config=spec.sparse_vectors
        )

    def delete_collection(self, body, name):
        return self.client.delete_collection(name)

    def create_index(self, body, name):
        self._require(name)
        spec = models.CreateFieldIndex.model_validate(body)
        with warnings.catch_warnings():
            # Embedded mode warns that payload indexes are no-ops; they matter on a real server.
            warnings.simplefilter("ignore", UserWarning)
            return self.client.create_payload_index(name, field_name=spec.field_name, field_schema=spec.field_schema)

    def upsert(self, body, name):
        self._require(name)
        if "batch" in body:
            points = models.PointsBatch.model_validate(body).batch
        else:
            points = models.PointsList.model_validate(body).points
        return self.client.upsert(name, points=points)

    def retrieve(self, body, name):
        self._require(name)
        spec = models.PointRequest.model_validate(body)
        return self.client.retrieve(
            name, ids=spec.ids, with_payload=spec.with_payload or False, with_vectors=spec.with_vector or False
        )

    def delete_points(self, body, name):
        self._require(name)
        selector = (
            models.FilterSelector.model_validate(body) if "filter" in body else models.PointIdsList.model_validate(body)
        )
        return self.client.delete(name, points_selector=selector)

    def scroll(self, body, name):
        self._require(name)
        spec = models.ScrollRequest.model_validate(body)
        points, next_offset = self.client.scroll(
            name,
            scroll_filter=spec.filter,
            limit=spec.limit or 10,
            offset=spec.offset,
            with_payload=spec.with_payload if spec.with_payload is not None else True,
            with_vectors=spec.with_vector or False,
            order_by=spec.order_by,
        )
        return {"points": points, "next_page_offset": next_offset}

    def count(self, body, name):
        self._require(name)
        spec = models.CountRequest.model_validate(body)
        return self.client.count(name, count_filter=spec.filter, exact=spec.exact if spec.exact is not None else True)

    def _query(self, name: str, spec: models.QueryRequest):
        # Embedded mode is exact search: HNSW parameters mean nothing to it.
        return self.client.query_points(
            name,
            query=spec.query,
            using=spec.using,
            prefetch=spec.prefetch,
            query_filter=spec.filter,
            search_params=None,
            limit=spec.limit or 10,
            offset=spec.offset,
            with_payload=spec.with_payload if spec.with_payload is not None else False,
            with_vectors=spec.with_vector or False,
            score_threshold=spec.score_threshold,
        )

    def query(self, body, name):
        self._require(name)
        return self._query(name, models.QueryRequest.model_validate(body))

    def query_batch(self, body, name):
        self._require(name)
        spec = models.QueryRequestBatch.model_validate(body)
        return [self._query(name, search) for search in spec.searches]


def make_handler(service: LocalQdrantService, api_key: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "pulse-local-qdrant"

        def log_message(self, fmt, *args):  # route through logging, quietly
            logger.debug("local qdrant: " + fmt, *args)

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            started = time.perf_counter()
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            if api_key and self.headers.get("api-key") != api_key:
                self._send(HTTPStatus.UNAUTHORIZED, {"status": {"error": "Invalid api-key"}})
                return
            if method == "GET" and path == "/":
                self._send(
                    HTTPStatus.OK, {"title": "qdrant - vector search engine", "version": version("qdrant-client")}
                )
                return
            if method == "GET" and path in ("/healthz", "/readyz", "/livez"):
                self._send(HTTPStatus.OK, {"title": "healthz check passed"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                result = service.dispatch(method, path, body)
            except _NotFound as exc:
                self._send(HTTPStatus.NOT_FOUND, {"status": {"error": f"Not found: {exc}"}})
                return
            except (PydanticValidationError, ValueError, json.JSONDecodeError) as exc:
                self._send(HTTPStatus.BAD_REQUEST, {"status": {"error": f"Bad request: {exc}"}})
                return
            except Exception as exc:  # a server reports errors, it does not die
                logger.exception("local qdrant: %s %s failed", method, path)
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"status": {"error": f"{type(exc).__name__}: {exc}"}})
                return
            payload = {"result": to_jsonable_python(result), "status": "ok", "time": time.perf_counter() - started}
            self._send(HTTPStatus.OK, payload)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_PUT(self):
            self._handle("PUT")

        def do_DELETE(self):
            self._handle("DELETE")

    return Handler


def make_server(
    *, path: str, host: str = "127.0.0.1", port: int = 6334, api_key: str | None = None
) -> ThreadingHTTPServer:
    """Open the embedded store at `path` (taking its lock) and return an unstarted HTTP server."""
    client = QdrantClient(location=":memory:") if path == ":memory:" else QdrantClient(path=path)
    try:
        server = LocalQdrantServer((host, port), make_handler(LocalQdrantService(client), api_key))
    except OSError:
        client.close()
        raise
    server.store = client
    return server


class LocalQdrantServer(ThreadingHTTPServer):
    daemon_threads = True
    store: QdrantClient

    def server_close(self) -> None:
        super().server_close()
        self.store.close()  # releases the folder lock
