import pytest

from studio.vendors.crypto import KeysNotForThisAddress
from studio.vendors.models import VendorAccount


def make_account(**fields) -> VendorAccount:
    account = VendorAccount(kind="suchuang", name="Suchuang", base_url="https://sc.example.com", **fields)
    account.set_credentials({"token": "jwt-1"})
    account.save()
    return account


def test_it_reuses_one_adapter_and_its_connections_per_account(db):
    account = make_account()
    first = account.adapter()
    assert VendorAccount.objects.get(pk=account.pk).adapter() is first


def test_it_makes_a_new_adapter_when_the_key_or_address_changes(db):
    account = make_account()
    first = account.adapter()

    account.set_credentials({"token": "jwt-2"})
    account.save()
    second = VendorAccount.objects.get(pk=account.pk).adapter()
    assert second is not first
    assert second.credentials == {"token": "jwt-2"}

    account.base_url = "https://sc2.example.com"
    account.save()
    with pytest.raises(KeysNotForThisAddress):  # the keys were saved for the old address: never sent to the new
        VendorAccount.objects.get(pk=account.pk).adapter()
    account.set_credentials({"token": "jwt-2"})
    account.save()
    assert VendorAccount.objects.get(pk=account.pk).adapter().base_url == "https://sc2.example.com"


def test_an_unsaved_account_is_not_remembered(db):
    account = VendorAccount(kind="suchuang", name="Draft", base_url="https://sc.example.com")
    assert account.adapter() is not account.adapter()


def test_keys_stored_before_they_were_bound_are_bound_to_the_address_they_have_at_migration(db):
    import importlib

    from django.apps import apps

    from studio.vendors.crypto import encrypt_credentials

    account = make_account()
    VendorAccount.objects.filter(pk=account.pk).update(credentials_encrypted=encrypt_credentials({"token": "old"}))
    with pytest.raises(KeysNotForThisAddress):
        VendorAccount.objects.get(pk=account.pk).adapter()

    importlib.import_module("studio.vendors.migrations.0005_keys_bound_to_their_destination").bind_existing_keys(
        apps, None
    )
    migrated = VendorAccount.objects.get(pk=account.pk)
    assert migrated.credentials == {"token": "old"} and migrated.connection_verified_at is not None
