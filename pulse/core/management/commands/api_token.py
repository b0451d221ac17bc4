from django.core.management.base import BaseCommand, CommandError

from pulse.core.api_tokens import api_token_create, api_token_revoke
from pulse.core.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "A user's API tokens. Creates one named --name and prints it (stored hashed, shown only now); "
        "a name the user already has is replaced, so repeated runs never pile up tokens. "
        "--list shows the user's tokens, --revoke NAME deletes one."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="The token's name (default: cli).")
        actions = parser.add_mutually_exclusive_group()
        actions.add_argument("--list", action="store_true", help="List the user's tokens.")
        actions.add_argument("--revoke", metavar="NAME", help="Revoke the user's token of this name.")

    def handle(self, *args, username, name, list, revoke, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named '{username}'.")
        if list:
            for token in ApiToken.objects.filter(user=user).order_by("name"):
                used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never used"
                self.stdout.write(f"{token.name}\t{token.prefix}…\tcreated {token.created_at:%Y-%m-%d}\t{used}")
            return
        if revoke:
            token = ApiToken.objects.filter(user=user, name=revoke).first()
            if token is None:
                raise CommandError(f"'{username}' has no token named '{revoke}'.")
            api_token_revoke(token=token)
            self.stdout.write(f"revoked '{revoke}' ({token.prefix}…)")
            return
        _, token = api_token_create(user=user, name=name)
        self.stdout.write(token)
