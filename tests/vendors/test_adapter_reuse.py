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
    assert VendorAccount.objects.get(pk=account.pk).adapter().base_url == "https://sc2.example.com"


def test_an_unsaved_account_is_not_remembered(db):
    account = VendorAccount(kind="suchuang", name="Draft", base_url="https://sc.example.com")
    assert account.adapter() is not account.adapter()
