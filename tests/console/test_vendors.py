"""Vendor accounts in the admin console: added, edited, tested against the simulator, balances shown."""

import pytest
from django.urls import reverse

from studio.audit.models import AuditAction, AuditEvent
from studio.simulator.app import demo_credentials
from studio.vendors.crypto import KeysNotForThisAddress
from studio.vendors.models import Offering, VendorAccount
from tests.conftest import client_for


@pytest.fixture
def operator_client(operator):
    return client_for(operator)


def add_account(client, kind, base_url, **credentials):
    form = {"kind": kind, "name": f"{kind} main", "base_url": base_url, "enabled": "on", "max_concurrent_tasks": 4,
            "options": "{}", **{f"credential_{name}": value for name, value in credentials.items()}}  # fmt: skip
    return client.post(reverse("console:vendor_create"), form)


@pytest.mark.parametrize("who", ["staff", "reviewer", "admin"])
def test_only_operators_reach_the_vendor_pages(request, who, simulator):
    client = client_for(request.getfixturevalue(who))
    account = VendorAccount.objects.create(kind="suchuang", name="s", base_url=simulator.public_url)
    for response in (
        client.get(reverse("console:vendors")),
        client.get(reverse("console:vendor", args=[account.pk])),
        client.post(reverse("console:vendor_test", args=[account.pk])),
        add_account(client, "suchuang", simulator.public_url, token="t"),
    ):
        assert response.status_code == 403
    assert VendorAccount.objects.count() == 1


def test_an_operator_adds_an_account_with_its_offerings_and_the_key_is_never_shown(operator_client, simulator):
    token = demo_credentials("suchuang")["token"]
    response = add_account(operator_client, "suchuang", simulator.public_url, token=token)

    account = VendorAccount.objects.get()
    assert response.status_code == 302 and account.credentials == {"token": token}
    assert token not in account.credentials_encrypted
    assert Offering.objects.filter(account=account).exists()
    page = operator_client.get(reverse("console:vendor", args=[account.pk])).content.decode()
    assert token not in page and "stored and hidden" in page
    assert AuditEvent.objects.get().action == AuditAction.ACCOUNT_CREATED


def test_a_missing_key_is_refused_with_a_message(operator_client, simulator):
    response = add_account(operator_client, "hdredraw", simulator.public_url)
    assert response.status_code == 200
    assert "Enter the user_key for this vendor." in response.content.decode()
    assert not VendorAccount.objects.exists()


def test_editing_keeps_the_key_unless_one_is_typed_and_records_what_changed(operator_client, operator, simulator):
    add_account(operator_client, "suchuang", simulator.public_url, token="first-token")
    account = VendorAccount.objects.get()
    form = {"name": "suchuang main", "base_url": simulator.public_url, "enabled": "on", "max_concurrent_tasks": 8,
            "options": "{}", "balance_warning_below": 500}  # fmt: skip
    operator_client.post(reverse("console:vendor", args=[account.pk]), form)
    account.refresh_from_db()
    assert (account.max_concurrent_tasks, account.credentials) == (8, {"token": "first-token"})
    changed = AuditEvent.objects.get(action=AuditAction.ACCOUNT_CHANGED)
    assert changed.details["max_concurrent_tasks"] == [4, 8] and changed.actor == operator

    operator_client.post(reverse("console:vendor", args=[account.pk]), {**form, "credential_token": "second-token"})
    account.refresh_from_db()
    assert account.credentials == {"token": "second-token"}
    replaced = AuditEvent.objects.get(action=AuditAction.CREDENTIALS_REPLACED)
    assert replaced.details == {"fields": "token"}
    assert "second-token" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


@pytest.mark.parametrize("kind", ["imagewash", "imagetasks", "hdredraw", "suchuang", "lingtu"])
def test_test_connection_says_works_or_wrong_key_for_every_vendor(operator_client, simulator, kind):
    add_account(operator_client, kind, simulator.public_url, **demo_credentials(kind))
    account = VendorAccount.objects.get()
    works = operator_client.post(reverse("console:vendor_test", args=[account.pk])).content.decode()
    assert "Works" in works, works

    wrong = {name: "not-the-key" for name in demo_credentials(kind)}
    account.set_credentials(wrong)
    account.save()
    answer = operator_client.post(reverse("console:vendor_test", args=[account.pk])).content.decode()
    assert "Wrong key" in answer, answer
    assert "not-the-key" not in answer
    account.refresh_from_db()
    assert account.last_check["outcome"] == "wrong_key"


def test_a_new_account_stays_off_until_its_first_test_connection_works(operator_client, simulator):
    add_account(operator_client, "suchuang", simulator.public_url, token="not-the-key")  # "enabled" sent, ignored
    account = VendorAccount.objects.get()
    assert not account.enabled and account.connection_verified_at is None
    operator_client.post(reverse("console:vendor_test", args=[account.pk]))
    account.refresh_from_db()
    assert not account.enabled  # the key is wrong: still off

    account.set_credentials(demo_credentials("suchuang"))
    account.save()
    operator_client.post(reverse("console:vendor_test", args=[account.pk]))
    account.refresh_from_db()
    assert account.enabled and account.connection_verified_at is not None

    VendorAccount.objects.filter(pk=account.pk).update(enabled=False)  # an admin switched it off later
    operator_client.post(reverse("console:vendor_test", args=[account.pk]))
    assert not VendorAccount.objects.get(pk=account.pk).enabled  # only the first success switches it on


def test_a_new_address_needs_the_keys_again_and_stored_keys_never_go_to_another_host(operator_client, simulator):
    token = demo_credentials("suchuang")["token"]
    add_account(operator_client, "suchuang", simulator.public_url, token=token)
    account = VendorAccount.objects.get()
    form = {"name": "suchuang main", "base_url": "https://collector.example.net", "max_concurrent_tasks": 4,
            "options": "{}"}  # fmt: skip
    refused = operator_client.post(reverse("console:vendor", args=[account.pk]), form).content.decode()
    assert "The address or signing scheme changed: enter every key again." in refused
    assert VendorAccount.objects.get(pk=account.pk).base_url == simulator.public_url

    VendorAccount.objects.filter(pk=account.pk).update(base_url="https://collector.example.net")  # behind the form
    answer = operator_client.post(reverse("console:vendor_test", args=[account.pk])).content.decode()
    assert "saved for another address" in answer
    with pytest.raises(KeysNotForThisAddress):  # no adapter, so no HTTP client holding the key, is ever made
        VendorAccount.objects.get(pk=account.pk).adapter()

    operator_client.post(reverse("console:vendor", args=[account.pk]), {**form, "base_url": simulator.public_url,
                                                                      "credential_token": token})  # fmt: skip
    works = operator_client.post(reverse("console:vendor_test", args=[account.pk])).content.decode()
    assert "Works" in works


def test_an_unreachable_vendor_is_said_so(operator_client):
    add_account(operator_client, "imagetasks", "http://127.0.0.1:9", api_key="sk-anything")
    account = VendorAccount.objects.get()
    answer = operator_client.post(reverse("console:vendor_test", args=[account.pk])).content.decode()
    assert "Unreachable" in answer


def test_suchuang_balance_is_shown_with_a_warning_below_the_threshold(operator_client, simulator):
    add_account(operator_client, "suchuang", simulator.public_url, **demo_credentials("suchuang"))
    account = VendorAccount.objects.get()
    account.balance_warning_below = 10**9
    account.save()
    answer = operator_client.post(reverse("console:vendor_balance", args=[account.pk])).content.decode()
    account.refresh_from_db()
    assert account.vendor_balance["points"] > 0
    assert f"{account.vendor_balance['points']} points" in answer
    assert "Low: below" in answer
    listing = operator_client.get(reverse("console:vendors")).content.decode()
    assert "Low: below" in listing


@pytest.mark.django_db(transaction=True)
def test_hdredraw_reports_its_balance_with_every_task_and_the_list_shows_it(
    operator_client, accounts, project, staff, funded, products
):
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit
    from tests.run_fixtures import drive

    offering = Offering.objects.get(account=accounts["hdredraw"], operation="upscale")
    drive(runs_submit(project=project, offering=offering, user=staff,
                      calls=[PlannedCall({}, (PlannedInput(products[0], "product"),))]))  # fmt: skip

    account = VendorAccount.objects.get(pk=accounts["hdredraw"].pk)
    assert account.vendor_balance["remaining_count"] >= 0 and account.vendor_balance_at is not None
    listing = operator_client.get(reverse("console:vendors")).content.decode()
    assert f"{account.vendor_balance['remaining_count']} package runs" in listing


@pytest.mark.django_db(transaction=True)
def test_imagewash_charged_coins_show_per_task_on_its_page_and_summed_in_the_list(
    operator_client, accounts, project, staff, funded, products
):
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit
    from tests.run_fixtures import drive

    offering = Offering.objects.get(account=accounts["imagewash"], operation="wash", model="nanoBanana2")
    call = PlannedCall({"prompt": "terrace", "count": 2}, tuple(PlannedInput(p, "product") for p in products[:3]))
    run = drive(runs_submit(project=project, offering=offering, user=staff, calls=[call]))

    coins = run.tasks.get().result["cost"]
    assert coins > 0
    page = operator_client.get(reverse("console:vendor", args=[accounts["imagewash"].pk])).content.decode()
    assert f'<td class="num">{coins}</td>' in page and f"#{run.pk}" in page
    listing = operator_client.get(reverse("console:vendors")).content.decode()
    assert f'<td class="num">{coins}</td>' in listing


def test_testing_an_account_without_keys_says_which_are_missing(operator_client):
    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid")
    answer = operator_client.post(reverse("console:vendor_test", args=[account.pk])).content.decode()
    assert "No user_key stored: enter it." in answer
    assert operator_client.post(reverse("console:vendor_balance", args=[account.pk])).status_code == 200
