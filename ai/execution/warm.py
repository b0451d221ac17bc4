"""Load the local embedding model when a process starts, not in its first search or task.

Registered with `pulse.core.startup` by the ai app; gunicorn (post_worker_init), Celery
(worker_process_init) and `run_local`'s web process call it once they have started, when
PULSE_WARM_LOCAL_MODEL asks for it.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from ai.providers import embedding_client
from ai.providers.local import DEFAULT_MODEL, default_backend, load_model, resolve_model_path, uses_server
from pulse.core.health import CheckNotUsed
from pulse.core.models import Integration

logger = logging.getLogger(__name__)


def warm_in_background() -> threading.Thread:
    """Load the bundled model on the server's default runtime off the caller's thread, where some
    tenant embeds locally. A request that arrives meanwhile waits on the same load (the loader's
    lock), never starts a second one. With an embedding server there is nothing to load here: the
    server loaded the model before it started listening."""

    def warm() -> None:
        try:
            if uses_server():
                return
            if Integration.objects.filter(configuration__provider="sentence_transformers", active=True).exists():
                load_model(resolve_model_path(DEFAULT_MODEL), default_backend())
        except Exception:
            logger.warning("local model warm-up failed", exc_info=True)
        finally:
            close_old_connections()

    thread = threading.Thread(target=warm, name="pulse-model-warm", daemon=True)
    thread.start()
    return thread


def embedding_server_ready() -> str:
    """/readyz: the embedding server answers and holds its default model (no cold load hides
    behind a ready web process). Left out where PULSE_EMBEDDING_SERVER is unset."""
    if not embedding_client.settings_address():
        raise CheckNotUsed
    model = {"model": DEFAULT_MODEL, "model_path": "", "backend": ""}  # the server's own default
    answer, _ = embedding_client.call({"op": "warm", **model}, timeout=settings.READINESS_TIMEOUT_SECONDS)
    return "default model was cold, loaded now" if answer.get("cold") else "default model loaded"
