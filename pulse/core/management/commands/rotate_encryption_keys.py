from django.core.management.base import BaseCommand

from pulse.core.services import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the newest key in PULSE_ENCRYPTION_KEYS. "
        "Rotate by prepending a new key, running this, then removing the old key."
    )

    def handle(self, *args, **options):
        count = secrets_rotate()
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {count} rows under the newest key"))
