from django.urls import reverse

from studio.accounts.models import Membership, Role
from studio.projects.models import Project
from tests.conftest import client_for


def test_a_member_of_two_teams_switches_between_their_projects(staff, team, other_team):
    Membership.objects.create(user=staff, team=other_team, role=Role.REVIEWER)
    Project.objects.create(team=team, name="Acme shoes")
    Project.objects.create(team=other_team, name="Globex hats")
    client = client_for(staff)

    first = client.get(reverse("projects:list")).content.decode()
    assert "Acme shoes" in first and "Globex hats" not in first
    assert 'id="team-select"' in first

    client.post(reverse("team_switch"), {"team": other_team.pk})
    second = client.get(reverse("projects:list")).content.decode()
    assert "Globex hats" in second and "Acme shoes" not in second
    assert "Start your first project" not in second  # a reviewer there: no create form
    assert 'name="name"' not in second


def test_opening_a_project_of_another_of_ones_teams_makes_it_current(staff, other_team):
    Membership.objects.create(user=staff, team=other_team, role=Role.STAFF)
    elsewhere = Project.objects.create(team=other_team, name="Globex hats")
    client = client_for(staff)
    assert client.get(reverse("projects:detail", args=[elsewhere.pk])).status_code == 200
    assert "Globex hats" in client.get(reverse("projects:list")).content.decode()


def test_sign_in_and_out(staff):
    from tests.conftest import PASSWORD

    client = client_for(None)
    response = client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    assert response.url == reverse("projects:list")
    assert client.get(reverse("projects:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("projects:list")).status_code == 302


def test_a_wrong_password_says_so(staff):
    response = client_for(None).post(reverse("login"), {"username": staff.username, "password": "nope"})
    assert "do not match" in response.content.decode()
