"""Signing in, and the pause after repeated failures (django-axes) per account and per address."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def sign_in(username: str, password: str, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


@pytest.fixture(autouse=True)
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def test_a_right_password_signs_in(staff):
    assert sign_in(staff.username, PASSWORD).status_code == 302


def test_an_account_is_paused_after_repeated_failures_even_for_the_right_password(staff):
    for _ in range(2):
        assert sign_in(staff.username, "wrong", address="198.51.100.1").status_code == 200
    assert sign_in(staff.username, "wrong", address="198.51.100.1").status_code == 429  # the third: paused
    paused = sign_in(staff.username, PASSWORD, address="198.51.100.2")  # another address: the account is paused
    assert paused.status_code == 429
    page = " ".join(paused.content.decode().split())
    assert "After 3 failed sign-ins, this account or this network address is paused." in page
    assert "Try again in 15 minutes, or ask a studio operator to unlock it now." in page


def test_an_address_trying_many_accounts_is_paused(staff, reviewer):
    for name in ("alice", "bob", "carol"):
        sign_in(name, "guess")
    assert sign_in(reviewer.username, PASSWORD).status_code == 429  # from the same address
    assert sign_in(reviewer.username, PASSWORD, address="198.51.100.9").status_code == 302


def test_an_operator_unlocks_an_account_and_a_success_forgets_earlier_failures(staff):
    from axes.models import AccessAttempt

    for _ in range(3):
        sign_in(staff.username, "wrong")
    AccessAttempt.objects.filter(username=staff.username).delete()  # Django admin: Axes › Access attempts
    assert sign_in(staff.username, PASSWORD, address="198.51.100.3").status_code == 302

    for _ in range(2):
        sign_in(staff.username, "wrong", address="198.51.100.4")
    sign_in(staff.username, PASSWORD, address="198.51.100.4")
    assert sign_in(staff.username, "wrong", address="198.51.100.4").status_code == 200  # counted afresh
