from django.urls import reverse

from studio.points.services import points_hold


def test_it_shows_wallets_and_their_newest_entries(admin_client, funded):
    points_hold(team=funded, amount=30, run_id=7, key="run-7-hold")

    response = admin_client.get(reverse("admin:points_wallet_change", args=[funded.wallet.pk]))

    assert response.status_code == 200
    assert b"run-7-hold" in response.content and b"welcome-acme" in response.content
    assert b'name="balance"' not in response.content  # shown, not editable


def test_it_lists_and_filters_ledger_entries(admin_client, funded):
    points_hold(team=funded, amount=30, run_id=7, key="run-7-hold")

    response = admin_client.get(reverse("admin:points_ledgerentry_changelist"), {"kind__exact": "hold"})

    assert response.status_code == 200
    assert b"run-7-hold" not in response.content or b"Welcome points" not in response.content
    assert response.context["cl"].result_count == 1


def test_it_lists_wallets(admin_client, funded):
    response = admin_client.get(reverse("admin:points_wallet_changelist"))

    assert response.status_code == 200
    assert b"Acme" in response.content


def test_it_changes_nothing(admin_client, funded):
    entry = funded.wallet.entries.get()

    assert admin_client.get(reverse("admin:points_ledgerentry_add")).status_code == 403
    assert admin_client.get(reverse("admin:points_wallet_add")).status_code == 403
    assert admin_client.post(reverse("admin:points_ledgerentry_change", args=[entry.pk]), {}).status_code == 403
    assert admin_client.post(reverse("admin:points_ledgerentry_delete", args=[entry.pk]), {}).status_code == 403
    assert admin_client.post(reverse("admin:points_wallet_delete", args=[funded.wallet.pk]), {}).status_code == 403
