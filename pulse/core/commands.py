"""What management commands share."""

from django.core.management.base import CommandError

from pulse.core.models import Client


def command_tenant(slug: str) -> Client:
    """The tenant a command was given (`--client SLUG`), or a CommandError naming the slug."""
    tenant = Client.objects.filter(slug=slug).first()
    if tenant is None:
        raise CommandError(f"No tenant with slug '{slug}'.")
    return tenant
