import time

from django.core.management.base import BaseCommand

from ai.providers.local import DEFAULT_MODEL, resolve_model_path
from ai.providers.local_onnx import prepare


class Command(BaseCommand):
    help = (
        "Export the local embedding model to ONNX (fp32 and int8) under var/models, once; "
        "later runs find the files and return at once. The provider also does this at first use."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model-path", default="", help="A local model folder (default: the bundled model)")

    def handle(self, *args, model_path, **options):
        path = resolve_model_path(DEFAULT_MODEL, model_path)
        started = time.perf_counter()
        target = prepare(path, "onnx-int8")
        self.stdout.write(f"{target.parent}: model.onnx, {target.name} ({time.perf_counter() - started:.1f}s)")
