import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ai.setup.pipeline import ai_config_export, ai_config_import
from pulse.core.commands import command_tenant


class Command(BaseCommand):
    stealth_options = ("stdin",)  # lets call_command pass a stream in tests
    help = "Export a tenant's AI setup as YAML (no secrets), or import one (validated, all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("--client", required=True, help="The tenant's slug")
        parser.add_argument("--file", dest="path", default="-", help="File to write or read (default: stdout/stdin)")

    def handle(self, *args, action, client, path, **options):
        tenant = command_tenant(client)
        if action == "export":
            text = ai_config_export(client=tenant)
            if path == "-":
                self.stdout.write(text)
            else:
                Path(path).write_text(text)
            return
        try:
            text = (options.get("stdin") or sys.stdin).read() if path == "-" else Path(path).read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        try:
            report = ai_config_import(client=tenant, text=text)
        except ValidationError as exc:
            lines = [f"  {field}: {'; '.join(messages)}" for field, messages in exc.message_dict.items()]
            raise CommandError("The file is not valid; nothing was changed:\n" + "\n".join(lines)) from None
        self.stdout.write(self.style.SUCCESS(f"created {len(report.created)}, updated {len(report.updated)} providers"))
        for name, secrets in report.needs_secrets.items():
            self.stdout.write(f"  {name} needs: {', '.join(secrets)} (set them in the UI, the admin or the API)")
