"""Vendor keys never leave the database in clear: not in a page, an error message, an audit entry or a log line."""

import logging

import pytest
from django.urls import reverse

from studio.accounts.models import User
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.simulator.app import demo_credentials
from studio.simulator.core import Fault
from studio.vendors.catalogue import KINDS
from studio.vendors.models import Offering, VendorAccount
from tests.conftest import client_for
from tests.run_fixtures import drive

pytestmark = pytest.mark.django_db(transaction=True)
TYPED_WRONG = "typed-wrong-secret-4711"


def test_no_page_message_or_log_line_ever_shows_a_vendor_key(
    accounts, simulator, operator, project, staff, funded, products, caplog, monkeypatch
):
    monkeypatch.setattr("studio.runs.retry.BASE_SECONDS", 0.05)
    caplog.set_level(logging.DEBUG)
    secrets = [value for kind in KINDS for value in demo_credentials(kind).values()] + [TYPED_WRONG]
    superuser = User.objects.create_superuser("root", password="x")
    console, django_admin = client_for(operator), client_for(superuser)
    seen = []

    def read(response):
        seen.append(response.content.decode(errors="replace"))

    read(console.get(reverse("console:vendors")))
    for account in accounts.values():
        read(console.get(reverse("console:vendor", args=[account.pk])))
        read(console.post(reverse("console:vendor_test", args=[account.pk])))
        read(console.post(reverse("console:vendor_balance", args=[account.pk])))
        read(django_admin.get(reverse("admin:vendors_vendoraccount_change", args=[account.pk])))
        # A form sent back with an error must not echo the typed key either.
        typed = {f"credential_{name}": TYPED_WRONG for name in account.credentials}
        read(console.post(reverse("console:vendor", args=[account.pk]), {**typed, "name": ""}))
    read(django_admin.get(reverse("admin:vendors_vendoraccount_changelist")))

    # Wrong keys, typed by an admin: the vendors refuse them, and say so without repeating them.
    for account in VendorAccount.objects.all():
        account.set_credentials({name: TYPED_WRONG for name in account.credentials})
        account.save()
        read(console.post(reverse("console:vendor_test", args=[account.pk])))
    read(console.get(reverse("console:audit")))

    # A run that fails at the vendor, through the worker: its page and the worker's log lines.
    for account in VendorAccount.objects.all():
        account.set_credentials(demo_credentials(account.kind))
        account.save()
    simulator.add_fault(Fault("server_error", vendor="hdredraw", times=20))
    offering = Offering.objects.get(account__kind="hdredraw", operation="upscale")
    run = drive(runs_submit(project=project, offering=offering, user=staff,
                            calls=[PlannedCall({}, (PlannedInput(products[0], "product"),))]), timeout=60)  # fmt: skip
    read(client_for(staff).get(reverse("runs:detail", args=[run.pk])))
    read(client_for(staff).get(reverse("runs:compose", args=[project.pk]), {"operation": "ai_model"}))

    assert len(seen) > 30
    for secret in secrets:
        assert not [page for page in seen if secret in page], f"a page shows {secret!r}"
        assert secret not in caplog.text, f"a log line shows {secret!r}"
    assert "Wrong key" in "".join(seen)  # the wrong keys were really tried
