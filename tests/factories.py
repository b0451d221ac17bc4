"""Small factories shared by the tests."""

from django.utils.text import slugify

from pulse.core.models import Client, Integration, User


def make_client(name: str) -> Client:
    return Client.objects.create(name=name, slug=slugify(name))


def make_user(client: Client | None, username: str, *, role: str = "member", password: str = "pw-for-tests-9") -> User:
    user = User(username=username, client=client, role=role)
    user.set_password(password)
    user.save()
    return user


def make_integration(client: Client, name: str = "OpenAI", **overrides) -> Integration:
    fields = {
        "integration_type": "ai_model",
        "integration_subtype": "embedding",
        "integration_name": name,
        "configuration": {"provider": "openai"},
        "model_config": {"model_name": "text-embedding-3-small"},
        "credentials": {"api_key": "sk-test-" + "x" * 40},
    }
    fields.update(overrides)
    return Integration.objects.create(client=client, **fields)
