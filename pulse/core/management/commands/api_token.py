from django.core.management.base import BaseCommand, CommandError

from pulse.core.api_tokens import api_token_create
from pulse.core.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is stored hashed and shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named '{username}'.")
        _, token = api_token_create(user=user, name=name)
        self.stdout.write(token)
