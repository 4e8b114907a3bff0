"""Every view, as anonymous, as a member of another team, and as each role of the owning team.

Another team's object answers 404 (its existence is not revealed); a role that may look but not
change gets 403; anonymous users are sent to sign in.
"""

import pytest
from django.urls import reverse

from studio.assets.ingest import asset_ingest
from studio.projects.models import Project
from tests import images
from tests.conftest import client_for
from tests.images import upload

OK, DONE, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

# (method, url name, which object it names) -> expected status for staff, reviewer, admin, outsider.
VIEWS = [
    ("get", "projects:detail", "project", dict(staff=OK, reviewer=OK, admin=OK, outsider=NOT_FOUND)),
    ("post", "projects:rename", "project", dict(staff=DONE, reviewer=FORBIDDEN, admin=DONE, outsider=NOT_FOUND)),
    ("post", "projects:archive", "project", dict(staff=DONE, reviewer=FORBIDDEN, admin=DONE, outsider=NOT_FOUND)),
    ("post", "projects:restore", "project", dict(staff=DONE, reviewer=FORBIDDEN, admin=DONE, outsider=NOT_FOUND)),
    ("post", "assets:upload", "project", dict(staff=DONE, reviewer=FORBIDDEN, admin=DONE, outsider=NOT_FOUND)),
    ("post", "assets:bulk", "project", dict(staff=DONE, reviewer=FORBIDDEN, admin=DONE, outsider=NOT_FOUND)),
    ("get", "assets:thumbnail", "asset", dict(staff=OK, reviewer=OK, admin=OK, outsider=NOT_FOUND)),
    ("get", "assets:original", "asset", dict(staff=OK, reviewer=OK, admin=OK, outsider=NOT_FOUND)),
]
POSTS = {
    "projects:rename": {"name": "Renamed"},
    "assets:bulk": {"action": "set_role", "role": "reference"},
}


@pytest.fixture
def people(staff, reviewer, admin, outsider):
    return {"staff": staff, "reviewer": reviewer, "admin": admin, "outsider": outsider}


@pytest.fixture
def targets(project, staff):
    asset = asset_ingest(project=project, upload=upload("shirt.jpg", images.jpeg()), user=staff).asset
    return {"project": project.pk, "asset": asset.pk}


def request(client, method, name, object_id):
    url = reverse(name, args=[object_id])
    if method == "get":
        return client.get(url)
    data = dict(POSTS.get(name, {}))
    if name == "assets:bulk":
        data["asset"] = [str(pk) for pk in data.get("asset", [])] or ["1"]
    return client.post(url, data)


@pytest.mark.parametrize(("method", "name", "target", "expected"), VIEWS, ids=[view[1] for view in VIEWS])
@pytest.mark.parametrize("who", ["staff", "reviewer", "admin", "outsider"])
def test_each_role_gets_what_its_team_and_role_allow(people, targets, method, name, target, expected, who):
    response = request(client_for(people[who]), method, name, targets[target])
    assert response.status_code == expected[who], response.content[:300]


@pytest.mark.parametrize(("method", "name", "target", "expected"), VIEWS, ids=[view[1] for view in VIEWS])
def test_anonymous_users_are_sent_to_sign_in(targets, method, name, target, expected):
    response = request(client_for(None), method, name, targets[target])
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("method", "name", "target", "expected"), VIEWS, ids=[view[1] for view in VIEWS])
def test_the_wrong_method_is_refused(people, targets, method, name, target, expected):
    wrong = "post" if method == "get" else "get"
    client = client_for(people["staff"])
    response = getattr(client, wrong)(reverse(name, args=[targets[target]]))
    assert response.status_code == 405


def test_forbidden_changes_change_nothing(reviewer, project):
    client = client_for(reviewer)
    client.post(reverse("projects:rename", args=[project.pk]), {"name": "Hijacked"})
    client.post(reverse("projects:archive", args=[project.pk]))
    project.refresh_from_db()
    assert (project.name, project.archived_at) == ("Autumn lookbook", None)


def test_an_outsider_cannot_reach_another_teams_project_by_any_url(outsider, project):
    client = client_for(outsider)
    client.post(reverse("projects:rename", args=[project.pk]), {"name": "Hijacked"})
    project.refresh_from_db()
    assert project.name == "Autumn lookbook"
    assert b"Autumn lookbook" not in client.get(reverse("projects:list")).content


@pytest.mark.parametrize(("who", "expected"), [("staff", DONE), ("admin", DONE), ("reviewer", FORBIDDEN)])
def test_creating_a_project_needs_staff_or_admin(people, team, who, expected):
    response = client_for(people[who]).post(reverse("projects:create"), {"name": "Summer"})
    assert response.status_code == expected
    assert Project.objects.filter(name="Summer").exists() == (expected == DONE)


def test_project_list_and_create_need_sign_in(db):
    client = client_for(None)
    assert client.get(reverse("projects:list")).status_code == 302
    assert client.post(reverse("projects:create"), {"name": "x"}).status_code == 302
    assert not Project.objects.exists()


def test_a_user_without_a_team_is_told_what_to_do(db):
    from studio.accounts.models import User

    loner = User.objects.create_user(username="loner", password="x")
    response = client_for(loner).get(reverse("projects:list"))
    assert response.status_code == 403
    assert "not a member of any team" in response.content.decode()


def test_healthz_needs_no_sign_in(db):
    assert client_for(None).get(reverse("healthz")).status_code == 200


def test_switching_to_a_team_one_is_not_in_is_not_found(staff, other_team):
    response = client_for(staff).post(reverse("team_switch"), {"team": other_team.pk})
    assert response.status_code == 404
