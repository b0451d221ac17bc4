import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ai.providers import embedding_client
from ai.providers import embedding_wire as wire
from ai.providers.embedding_server import load_default_model, make_server
from ai.providers.errors import ProviderError
from pulse.core.serving import serve_until_stopped


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Hold the local embedding models in this one process and serve embed requests from the web "
        "server and the workers (PULSE_EMBEDDING_SERVER points them here). Loads the default model "
        "before it listens. --check asks a running server whether it answers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="",
            help="unix:///path or tcp://host:port (default: PULSE_EMBEDDING_SERVER, else var/embeddings.sock)",
        )
        parser.add_argument("--check", action="store_true", help="Exit 0 when the server answers, 1 otherwise")

    def handle(self, *args, address, check, **options):
        value = address or settings.PULSE_EMBEDDING_SERVER or f"unix://{settings.PULSE_EMBEDDING_SOCKET}"
        try:
            where = wire.parse_address(value)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if check:
            return self.ping(value)
        started = time.perf_counter()
        load_default_model()
        self.stdout.write(f"embedding model loaded in {time.perf_counter() - started:.1f}s")
        try:
            server = make_server(
                where, token=settings.PULSE_EMBEDDING_SERVER_TOKEN, max_body=settings.PULSE_EMBEDDING_SERVER_MAX_BYTES
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot serve embeddings at {where}: {exc}") from None
        self.stdout.write(f"embedding server listening at {where}", ending="\n")
        self.stdout.flush()
        signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly: the socket file goes with the server
        serve_until_stopped(server)

    def ping(self, value: str) -> None:
        with self.settings_for(value):
            try:
                embedding_client.call({"op": "warm", "model": "", "model_path": "", "backend": ""}, timeout=5)
            except ProviderError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write("ok")

    @staticmethod
    def settings_for(value: str):
        from django.test import override_settings

        return override_settings(PULSE_EMBEDDING_SERVER=value)
