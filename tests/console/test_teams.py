"""Teams in the console: members, roles, limits, invitations, points and the ledger, for the team's admins only."""

import csv
import io
import re

import pytest
from django.urls import reverse

from studio.accounts.models import Membership, Role, Team, User
from studio.audit.models import AuditAction, AuditEvent
from studio.points.models import LedgerEntry
from studio.points.services import points_balance, points_grant, points_hold, points_refund
from tests.conftest import PASSWORD, client_for, make_member


@pytest.fixture
def admin_client(admin):
    return client_for(admin)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def points(client, team, amount, reason="budget", direction="grant", key="k1"):
    form = {"amount": amount, "reason": reason, "direction": direction, "form_key": key}
    return client.post(reverse("console:team_points", args=[team.pk]), form)


@pytest.mark.parametrize(("who", "status"), [("staff", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_the_teams_admins_reach_its_pages(request, who, status, team, staff):
    client = client_for(request.getfixturevalue(who))
    membership = Membership.objects.get(user=staff)
    for response in (
        client.get(reverse("console:team", args=[team.pk])),
        client.get(reverse("console:team_ledger", args=[team.pk])),
        client.post(reverse("console:team_member_add", args=[team.pk]), {"who": "x@example.com", "role": "staff"}),
        client.post(reverse("console:team_member", args=[team.pk, membership.pk]), {"action": "remove"}),
    ):
        assert response.status_code == status
    assert points(client, team, 500).status_code == 403
    assert Membership.objects.filter(user=staff).exists() and points_balance(team=team) == 0


def test_a_team_admin_cannot_grant_their_own_team_points_or_make_teams(admin_client, team):
    assert points(admin_client, team, 500).status_code == 403 and points_balance(team=team) == 0
    page = admin_client.get(reverse("console:team", args=[team.pk])).content.decode()
    assert "granted and deducted by the studio" in page and reverse("console:team_points", args=[team.pk]) not in page
    assert admin_client.post(reverse("console:teams"), {"name": "Shoes"}).status_code == 403
    assert not Team.objects.filter(name="Shoes").exists()


def test_an_operator_manages_every_team(operator, team, other_team, staff):
    client = client_for(operator)
    page = client.get(reverse("console:teams")).content.decode()
    assert team.name in page and other_team.name in page
    assert client.get(reverse("console:team", args=[other_team.pk])).status_code == 200


def test_an_admin_sees_only_the_teams_they_administer(admin_client, team, other_team):
    page = admin_client.get(reverse("console:teams")).content.decode()
    assert team.name in page and other_team.name not in page


def test_an_operator_creating_a_team_becomes_its_first_admin(operator):
    client = client_for(operator)
    client.post(reverse("console:teams"), {"name": "Shoes"})
    shoes = Team.objects.get(name="Shoes")
    assert Membership.objects.get(team=shoes).user == operator
    assert client.get(reverse("console:team", args=[shoes.pk])).status_code == 200


def test_adding_an_existing_user_by_username_or_email(admin_client, team, other_team):
    by_name = make_member(other_team, Role.STAFF, "lee")
    by_mail = make_member(other_team, Role.STAFF, "kim")
    User.objects.filter(pk=by_mail.pk).update(email="kim@example.com")

    admin_client.post(reverse("console:team_member_add", args=[team.pk]), {"who": "LEE", "role": "reviewer"})
    admin_client.post(reverse("console:team_member_add", args=[team.pk]), {"who": "Kim@Example.com", "role": "staff"})

    assert Membership.objects.get(team=team, user=by_name).role == Role.REVIEWER
    assert Membership.objects.get(team=team, user=by_mail).role == Role.STAFF
    assert AuditEvent.objects.filter(action=AuditAction.MEMBER_ADDED, team=team).count() == 2


def test_inviting_a_new_email_gives_a_one_time_link_to_choose_a_password(admin_client, team):
    response = admin_client.post(
        reverse("console:team_member_add", args=[team.pk]), {"who": "new.person@example.com", "role": "staff"},
        follow=True,
    )  # fmt: skip
    path = re.search(r"/password/[\w-]+/[\w-]+/", response.content.decode()).group()
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password() and Membership.objects.get(user=user).team == team

    anonymous = client_for(None)
    form_page = anonymous.get(path, follow=True)
    assert "Choose your Studio password" in form_page.content.decode()
    anonymous.post(form_page.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert anonymous.login(username="new.person@example.com", password=PASSWORD)
    again = client_for(None).get(path, follow=True)
    assert "has been used already" in again.content.decode()


@pytest.mark.parametrize(
    ("who", "message"),
    [("nobody-here", "To invite someone new, enter their email address."),
     ("sam-staff", "sam-staff is already in Acme."), ("", "Enter a username or an email address."),
     (f"{'a' * 64}@{'b' * 63}.{'c' * 63}.example.com", "This email address is 204 characters long; an invited "
      "address can have at most 150.")],
)  # fmt: skip
def test_adding_a_member_explains_what_is_wrong(admin_client, team, staff, who, message):
    response = admin_client.post(reverse("console:team_member_add", args=[team.pk]), {"who": who, "role": "staff"})
    assert response.status_code == 400 and message in response.content.decode()


def test_roles_and_limits_change_and_are_audited(admin_client, admin, team, staff):
    membership = Membership.objects.get(user=staff)
    url = reverse("console:team_member", args=[team.pk, membership.pk])
    admin_client.post(url, {"action": "save", "role": "reviewer", "monthly_points_limit": "500"})
    membership.refresh_from_db()
    assert (membership.role, membership.monthly_points_limit) == (Role.REVIEWER, 500)
    actions = set(AuditEvent.objects.filter(team=team, actor=admin).values_list("action", flat=True))
    assert actions == {AuditAction.ROLE_CHANGED, AuditAction.LIMIT_CHANGED}

    admin_client.post(url, {"action": "save", "role": "reviewer", "monthly_points_limit": ""})
    membership.refresh_from_db()
    assert membership.monthly_points_limit is None


def test_the_last_admin_cannot_be_demoted_or_removed(admin_client, admin, team):
    membership = Membership.objects.get(user=admin)
    url = reverse("console:team_member", args=[team.pk, membership.pk])
    response = admin_client.post(url, {"action": "remove"}, follow=True)
    assert "last admin of Acme" in response.content.decode()
    admin_client.post(url, {"action": "save", "role": "staff"})
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_grants_and_deductions_need_a_reason_and_land_in_ledger_and_audit(operator, team):
    client = client_for(operator)
    assert "Give a reason" in points(client, team, 500, reason=" ").content.decode()
    points(client, team, 500, key="a")
    points(client, team, 500, key="a")  # the same form sent twice
    points(client, team, 120, direction="deduct", reason="wrong grant", key="b")

    assert points_balance(team=team) == 380
    entries = list(LedgerEntry.objects.filter(wallet__team=team).order_by("id").values_list("kind", "amount"))
    assert entries == [("grant", 500), ("adjustment", -120)]
    assert AuditEvent.objects.filter(team=team, action=AuditAction.POINTS_GRANTED).count() == 1
    assert AuditEvent.objects.get(action=AuditAction.POINTS_DEDUCTED).details["reason"] == "wrong grant"


def test_a_deduction_below_zero_is_refused_and_changes_nothing(operator, team):
    points(client_for(operator), team, 100, key="a")
    response = points(client_for(operator), team, 101, direction="deduct", reason="oops", key="b")
    assert response.status_code == 400 and "below zero" in response.content.decode()
    assert points_balance(team=team) == 100


def test_the_ledger_filters_and_its_csv_matches_the_page(admin_client, admin, staff, team):
    points_grant(team=team, amount=1000, reason="budget", user=admin, key="g")
    points_hold(team=team, amount=300, run_id=7, key="h7", user=staff)
    points_refund(team=team, amount=100, run_id=7, key="r7")
    points_hold(team=team, amount=50, run_id=8, key="h8", user=staff)
    url = reverse("console:team_ledger", args=[team.pk])

    page = admin_client.get(url, {"run": 7}).content.decode()
    assert page.count("<tr>") - 1 == 2  # header row aside: the hold and the refund of run 7
    rows = csv_rows(admin_client.get(url, {"run": 7, "format": "csv"}))
    assert [row[1:4] for row in rows] == [["refund", "100", "800"], ["hold", "-300", "700"]]
    for row in rows:
        assert f">{row[3]}</td>" in page and row[6] in page

    everything = csv_rows(admin_client.get(url, {"format": "csv"}))
    assert sum(int(row[2]) for row in everything) == points_balance(team=team) == 750
    assert int(everything[0][3]) == 750  # newest first: its balance after is the balance now
    held_by_staff = admin_client.get(url, {"member": staff.pk, "kind": "hold"}).content.decode()
    assert held_by_staff.count("<tr>") - 1 == 2


@pytest.mark.parametrize("amount", ["nan", "inf", "1e999", "abc", "0", "-5", "2.5", ""])
def test_a_points_amount_that_is_no_whole_number_is_refused(operator, team, amount):
    response = points(client_for(operator), team, amount)
    assert response.status_code == 400 and "Enter a whole number of points." in response.content.decode()
    assert points_balance(team=team) == 0


@pytest.mark.parametrize("limit", ["nan", "1e999", "-1", "lots"])
def test_a_monthly_limit_that_is_no_whole_number_is_refused(admin_client, team, staff, limit):
    membership = Membership.objects.get(user=staff)
    url = reverse("console:team_member", args=[team.pk, membership.pk])
    page = admin_client.post(url, {"action": "save", "role": "staff", "monthly_points_limit": limit}, follow=True)
    assert "A monthly limit is a whole number of points, or empty for none." in page.content.decode()
    assert Membership.objects.get(pk=membership.pk).monthly_points_limit is None
