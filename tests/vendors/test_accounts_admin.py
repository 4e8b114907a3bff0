"""Vendor accounts in Django admin: credentials are write-only, encrypted, and never shown again."""

import pytest
from django.urls import reverse

from studio.accounts.models import User
from studio.vendors.catalogue import KINDS, catalogue
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load

SECRET = "sk-live-do-not-show-4f9a"


@pytest.fixture
def superuser_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def add_account(client, **overrides):
    data = {
        "kind": "imagetasks",
        "name": "Image tasks (live)",
        "base_url": "https://api.imagetasks.example.com",
        "enabled": "on",
        "max_concurrent_tasks": "4",
        "options": "{}",
        "credential_api_key": SECRET,
        **overrides,
    }
    return client.post(reverse("admin:vendors_vendoraccount_add"), data)


def test_a_saved_key_is_encrypted_and_never_rendered_again(superuser_client):
    assert add_account(superuser_client).status_code == 302
    account = VendorAccount.objects.get()
    assert account.credentials == {"api_key": SECRET}
    assert SECRET not in account.credentials_encrypted

    for url in (
        reverse("admin:vendors_vendoraccount_change", args=[account.pk]),
        reverse("admin:vendors_vendoraccount_changelist"),
    ):
        page = superuser_client.get(url).content.decode()
        assert SECRET not in page
        assert "set, encrypted" in page


def test_an_empty_key_field_keeps_the_stored_key(superuser_client):
    add_account(superuser_client)
    account = VendorAccount.objects.get()
    data = {
        "kind": "imagetasks",
        "name": "Renamed",
        "base_url": account.base_url,
        "enabled": "on",
        "max_concurrent_tasks": "2",
        "options": "{}",
        "credential_api_key": "",
    }
    assert (
        superuser_client.post(reverse("admin:vendors_vendoraccount_change", args=[account.pk]), data).status_code == 302
    )
    account.refresh_from_db()
    assert (account.name, account.credentials) == ("Renamed", {"api_key": SECRET})


def test_a_vendor_without_its_keys_is_refused_with_their_names(superuser_client):
    response = add_account(superuser_client, kind="lingtu", credential_api_key="")
    assert response.status_code == 200
    assert "Enter the app_key, secret for this vendor." in response.content.decode()
    assert not VendorAccount.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_catalogue_loads_every_documented_offering_once(db, kind):
    account = VendorAccount.objects.create(kind=kind, name=kind, base_url="https://vendor.example.com")
    created = offerings_load(account=account)
    assert len(created) == len(catalogue(kind)) > 0
    assert all(offering.points > 0 for offering in created)

    Offering.objects.filter(account=account).update(points=999)
    assert offerings_load(account=account) == []  # nothing duplicated, admins' prices kept
    assert set(Offering.objects.filter(account=account).values_list("points", flat=True)) == {999}


def test_an_offering_exposes_its_vendors_parameter_rules(db):
    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.example.com")
    offerings_load(account=account)
    expand = Offering.objects.get(account=account, operation="expand")
    ratios = {param.name: (param.min, param.max) for param in expand.parameters() if param.name.startswith("expand_")}
    assert ratios == {f"expand_{side}": (0.0, 0.3) for side in ("top", "bottom", "left", "right")}
    assert [(spec.role, spec.min, spec.max) for spec in expand.input_specs()] == [("product", 1, 1)]


def test_changes_made_in_django_admin_land_in_the_audit_log_without_the_key(superuser_client):
    from studio.audit.models import AuditAction, AuditEvent

    add_account(superuser_client)
    account = VendorAccount.objects.get()
    offerings_load(account=account)
    offering = Offering.objects.filter(account=account).first()
    superuser_client.post(
        reverse("admin:vendors_offering_change", args=[offering.pk]),
        {"account": account.pk, "operation": offering.operation, "model": offering.model, "label": offering.label,
         "points": offering.points + 7, "price_by": "[]", "price_table": "{}", "fixed_params": "{}"},
    )  # fmt: skip

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[:2] == [AuditAction.ACCOUNT_CREATED, AuditAction.CREDENTIALS_REPLACED]
    changed = AuditEvent.objects.get(action=AuditAction.PRICE_CHANGED)
    assert changed.details["points"] == [offering.points, offering.points + 7]
    assert AuditEvent.objects.get(action=AuditAction.OFFERING_SWITCHED).details["enabled"] == [True, False]
    assert SECRET not in str(list(AuditEvent.objects.values_list("details", flat=True)))
