"""A tenant's staff user in the Django admin: manages its tenant's people and rows, never grants
privileges, never reaches another tenant or a superuser, never reads another tenant's name."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission

from pulse.core.admin import TenantScopedAdmin
from pulse.core.models import Client, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db
SECRET_NAME = "Globex Secret Name"


@pytest.fixture
def world(tenant_a):
    other_tenant = Client.objects.create(name=SECRET_NAME, slug="globex")
    staff = make_user(tenant_a, "tenant-staff", role="admin")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="_user"))
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["ai", "etl", "core", "analytics"])
    )
    ops = Group.objects.create(name="platform-ops")
    ops.permissions.add(*Permission.objects.all())
    return {
        "a": tenant_a,
        "b": other_tenant,
        "staff": staff,
        "member": make_user(tenant_a, "member", role="member"),
        "other": make_user(other_tenant, "globex-user", role="admin"),
        "root": User.objects.create_superuser("root", "root@example.com", "pw-root-123456"),
        "ops": ops,
    }


def _change_form(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "role": user.role,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return {**data, **overrides}


def test_tenant_staff_cannot_escalate_itself(client, world):
    staff = world["staff"]
    client.force_login(staff)
    permissions_before = staff.user_permissions.count()
    url = f"/admin/core/user/{staff.pk}/change/"

    page = client.get(url).content.decode()
    forged = _change_form(
        staff,
        is_superuser="on",
        is_staff="on",
        groups=[world["ops"].pk],
        user_permissions=list(Permission.objects.values_list("pk", flat=True)),
        client=world["b"].pk,
    )
    response = client.post(url, forged)

    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page and 'name="groups"' not in page
    assert response.status_code == 302  # saved, with the forged fields ignored
    staff.refresh_from_db()
    assert not staff.is_superuser and staff.client == world["a"] and not staff.groups.exists()
    assert staff.user_permissions.count() == permissions_before


def test_tenant_staff_cannot_make_a_member_staff(client, world):
    client.force_login(world["staff"])
    member = world["member"]

    client.post(f"/admin/core/user/{member.pk}/change/", _change_form(member, is_staff="on", is_superuser="on"))

    member.refresh_from_db()
    assert not member.is_staff and not member.is_superuser


@pytest.mark.parametrize("target", ["other", "root"])
def test_other_tenants_users_and_superusers_are_out_of_reach(client, world, target):
    client.force_login(world["staff"])

    change = client.get(f"/admin/core/user/{world[target].pk}/change/")
    password = client.get(f"/admin/core/user/{world[target].pk}/password/")

    assert change.status_code == 302 and password.status_code == 404


def test_an_added_user_joins_the_adders_tenant_without_privileges(client, world):
    client.force_login(world["staff"])
    form = {
        "username": "new-person",
        "password1": "x-Long-pass-91",
        "password2": "x-Long-pass-91",
        "usable_password": "true",
        "role": "member",
        "client": world["b"].pk,
        "is_superuser": "on",
        "is_staff": "on",
    }

    response = client.post("/admin/core/user/add/", form)

    assert response.status_code == 302
    added = User.objects.get(username="new-person")
    assert added.client == world["a"] and not added.is_staff and not added.is_superuser


def test_no_changelist_names_another_tenant_to_tenant_staff(client, world):
    client.force_login(world["staff"])
    scoped = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedAdmin)
    ]

    pages = {
        model._meta.label: client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        for model, _ in scoped
    }

    assert len(scoped) >= 10
    for label, page in pages.items():
        assert page.status_code == 200, label
        assert SECRET_NAME not in page.content.decode(), label
    client.force_login(world["root"])
    assert SECRET_NAME in client.get("/admin/core/user/").content.decode()


def test_a_superuser_still_manages_privileges(client, world):
    client.force_login(world["root"])
    member = world["member"]

    client.post(f"/admin/core/user/{member.pk}/change/", _change_form(member, is_staff="on", client=world["a"].pk))

    member.refresh_from_db()
    assert member.is_staff
