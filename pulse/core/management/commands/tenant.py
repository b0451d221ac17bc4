from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pulse.core.commands import command_tenant
from pulse.core.models import Client
from pulse.core.tenants import ROLES, tenant_create, tenant_set_active, user_add


class Command(BaseCommand):
    help = (
        "Tenants and their users: create a tenant with its first admin, add a user with a role, "
        "deactivate or activate a tenant, list tenants. A generated password is printed once."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="A tenant and its first admin.")
        create.add_argument("name")
        create.add_argument("--slug", default="", help="Default: from the name.")
        create.add_argument("--admin", required=True, help="The first admin's username.")
        create.add_argument("--email", default="")
        create.add_argument("--password", help="Default: a generated one, printed once.")
        add = commands.add_parser("add-user", help="A user of a tenant.")
        add.add_argument("slug")
        add.add_argument("username")
        add.add_argument("--role", choices=ROLES, default="member")
        add.add_argument("--email", default="")
        add.add_argument("--password", help="Default: a generated one, printed once.")
        for action in ("deactivate", "activate"):
            commands.add_parser(action, help=f"{action.capitalize()} a tenant.").add_argument("slug")
        commands.add_parser("list", help="Every tenant, its state and its number of users.")

    def handle(self, *args, action, **options):
        try:
            getattr(self, action.replace("-", "_"))(**options)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None

    def create(self, *, name, slug, admin, email, password, **options):
        client, user, password = tenant_create(
            name=name, slug=slug, admin_username=admin, admin_email=email, password=password
        )
        self.stdout.write(self.style.SUCCESS(f"tenant '{client.slug}' created"))
        self.stdout.write(f"admin: {user.username} / {password}")

    def add_user(self, *, slug, username, role, email, password, **options):
        user, password = user_add(
            client=command_tenant(slug), username=username, role=role, email=email, password=password
        )
        self.stdout.write(self.style.SUCCESS(f"{user.role} '{user.username}' added to '{slug}'"))
        self.stdout.write(f"login: {user.username} / {password}")

    def deactivate(self, *, slug, **options):
        tenant_set_active(client=command_tenant(slug), active=False)
        self.stdout.write(f"tenant '{slug}' deactivated: its users and tokens reach nothing, its syncs stop")

    def activate(self, *, slug, **options):
        tenant_set_active(client=command_tenant(slug), active=True)
        self.stdout.write(f"tenant '{slug}' active")

    def list(self, **options):
        for client in Client.objects.order_by("slug"):
            state = "active" if client.active else "inactive"
            self.stdout.write(f"{client.slug}\t{state}\t{client.users.count()} users\t{client.name}")
