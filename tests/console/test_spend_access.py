"""Only admins reach the spend report, as a page or as CSV."""

import pytest
from django.urls import reverse

from tests.conftest import client_for


@pytest.mark.parametrize("who", ["staff", "reviewer"])
@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_staff_and_reviewers_are_refused(request, spend_world, who, query):
    response = client_for(request.getfixturevalue(who)).get(reverse("console:spend"), query)
    assert response.status_code == 403
    assert b"Globex" not in response.content and b"imagewash" not in response.content


@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_admins_get_it(admin, spend_world, query):
    assert client_for(admin).get(reverse("console:spend"), query).status_code == 200


@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_anonymous_users_are_sent_to_sign_in(spend_world, query):
    response = client_for(None).get(reverse("console:spend"), query)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_user_without_a_team_is_refused(django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="x")
    assert client_for(user).get(reverse("console:spend")).status_code == 403


def test_it_only_answers_get(admin):
    assert client_for(admin).post(reverse("console:spend")).status_code == 405


def test_the_console_tabs_lead_to_it(admin):
    page = client_for(admin).get(reverse("console:teams")).content.decode()
    assert f'href="{reverse("console:spend")}"' in page


@pytest.mark.parametrize("query", [{}, {"format": "csv"}, {"team": "other"}])
def test_an_admin_sees_only_the_spend_of_the_teams_they_administer(outsider, spend_world, other_team, team, query):
    if query.get("team") == "other":
        query = {"team": team.pk}  # asking for Acme by its id does not reveal it either
    response = client_for(outsider).get(reverse("console:spend"), query)
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "sam-staff" not in body  # sam only ever worked for Acme
    if not query:
        assert "Globex" in body and ">Acme<" not in body
