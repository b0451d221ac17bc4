from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ai.vectors.stores.local_server import make_server
from pulse.core.serving import serve_until_stopped


class Command(BaseCommand):
    help = (
        "Serve the embedded Qdrant store in QDRANT_PATH over Qdrant's REST API on loopback, so that the "
        "web server, worker and beat can share it (local mode only; production uses a Qdrant server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=6334)

    def handle(self, *args, host, port, **options):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise CommandError("The local vector server only listens on loopback.")
        try:
            server = make_server(
                path=settings.QDRANT_PATH, host=host, port=port, api_key=settings.QDRANT_API_KEY or None
            )
        except RuntimeError as exc:
            raise CommandError(f"Cannot open {settings.QDRANT_PATH}: {exc}") from None
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from None
        self.stdout.write(f"vector store {settings.QDRANT_PATH} served at http://{host}:{port}")
        serve_until_stopped(server)
