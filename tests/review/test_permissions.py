"""Every gallery and review view, for each role of the team, a member of another team, and anonymous users.

Another team's objects answer 404; staff may look and download but not review (403 with the reason);
reviewers and admins review; only staff and admins start new work ("make more like this").
"""

import pytest
from django.urls import reverse

from studio.review.models import ReviewEvent
from studio.runs.models import Output, ReviewState
from tests.conftest import client_for
from tests.review.factories import make_output, make_run, product

OK, DONE, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

LOOK = dict(staff=OK, reviewer=OK, admin=OK, outsider=NOT_FOUND)  # every member sees and downloads
REVIEW = dict(staff=FORBIDDEN, reviewer=DONE, admin=DONE, outsider=NOT_FOUND)  # reviewers and admins review
EDIT = dict(staff=DONE, reviewer=FORBIDDEN, admin=DONE, outsider=NOT_FOUND)  # staff and admins start new work

# (method, url name, object, data, expected status by who)
VIEWS = [
    ("get", "review:project", "project", {}, LOOK),
    ("get", "review:run", "run", {}, LOOK),
    ("get", "review:viewer", "output", {}, LOOK),
    ("get", "review:download", "project", {}, LOOK),
    ("post", "review:download", "project", {"all_matching": "1"}, LOOK),
    ("get", "review:output_download", "output", {}, LOOK),
    ("post", "review:review", "output", {"action": "reject"}, REVIEW),
    ("post", "review:review", "output", {"action": "reset"}, REVIEW),
    ("post", "review:review", "output", {"action": "approve", "from": "viewer"}, REVIEW),
    ("post", "review:bulk", "project", {"action": "approve", "all_matching": "1"}, REVIEW),
    ("post", "review:bulk", "project", {"action": "reject", "output": "OUTPUT"}, REVIEW),
    ("post", "review:run_bulk", "run", {"action": "reset", "all_matching": "1"}, REVIEW),
    ("post", "review:more", "output", {"as": "input"}, EDIT),
]


@pytest.fixture
def people(staff, reviewer, admin, outsider):
    return {"staff": staff, "reviewer": reviewer, "admin": admin, "outsider": outsider}


@pytest.fixture
def targets(project, staff):
    shirt = product(project, "shirt.png", user=staff)
    run = make_run(project, user=staff)
    run.inputs.create(asset=shirt, role="product")
    output = make_output(run, source=shirt, state=ReviewState.APPROVED)
    return {"project": project.pk, "run": run.pk, "output": output.pk}


def call(client, method, name, target_id, data, targets):
    url = reverse(name, args=[target_id])
    data = {key: str(targets["output"]) if value == "OUTPUT" else value for key, value in data.items()}
    return client.get(url) if method == "get" else client.post(url, data)


def view_id(view) -> str:
    return f"{view[0]}-{view[1]}-{'-'.join(f'{k}={v}' for k, v in view[3].items())}"


@pytest.mark.parametrize(("method", "name", "target", "data", "expected"), VIEWS, ids=[view_id(v) for v in VIEWS])
@pytest.mark.parametrize("who", ["staff", "reviewer", "admin", "outsider"])
def test_each_role_gets_what_its_team_and_role_allow(people, targets, method, name, target, data, expected, who):
    response = call(client_for(people[who]), method, name, targets[target], data, targets)
    assert response.status_code == expected[who], response.content[:300]


@pytest.mark.parametrize(("method", "name", "target", "data", "expected"), VIEWS, ids=[view_id(v) for v in VIEWS])
def test_anonymous_users_are_sent_to_sign_in(targets, method, name, target, data, expected):
    response = call(client_for(None), method, name, targets[target], data, targets)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("action", ["approve", "reject", "reset"])
def test_staff_are_told_why_and_nothing_changes(staff, targets, action):
    output = Output.objects.get(pk=targets["output"])
    output.review_state = ReviewState.PENDING if action != "reset" else ReviewState.APPROVED
    output.save()
    client = client_for(staff)
    single = client.post(reverse("review:review", args=[output.pk]), {"action": action})
    bulk = client.post(reverse("review:bulk", args=[targets["project"]]), {"action": action, "all_matching": "1"})
    for response in (single, bulk):
        assert response.status_code == 403
        assert "only Reviewers and Admins can approve, reject or reset" in response.content.decode()
    assert Output.objects.get(pk=output.pk).review_state == output.review_state
    assert not ReviewEvent.objects.exists()


def test_an_outsider_cannot_review_another_teams_output_by_any_url(outsider, targets):
    client = client_for(outsider)
    client.post(reverse("review:review", args=[targets["output"]]), {"action": "reject"})
    client.post(reverse("review:bulk", args=[targets["project"]]), {"action": "reject", "all_matching": "1"})
    assert Output.objects.get(pk=targets["output"]).review_state == ReviewState.APPROVED
    assert not ReviewEvent.objects.exists()


def test_a_bulk_post_cannot_reach_another_teams_outputs_through_its_own_project(outsider, other_project, targets):
    """An outsider names our output's id in a bulk review of their own project: it is not theirs, so untouched."""
    response = client_for(outsider).post(
        reverse("review:bulk", args=[other_project.pk]), {"action": "reject", "output": str(targets["output"])}
    )
    assert response.status_code == 302
    assert Output.objects.get(pk=targets["output"]).review_state == ReviewState.APPROVED
    zipped = client_for(outsider).post(
        reverse("review:download", args=[other_project.pk]), {"output": str(targets["output"])}
    )
    assert zipped.status_code == 302  # nothing approved of theirs: no ZIP, just the empty-state message


@pytest.mark.parametrize(("name", "target"), [("review:review", "output"), ("review:bulk", "project"),
                                              ("review:run_bulk", "run"), ("review:more", "output")])  # fmt: skip
def test_review_actions_refuse_get(reviewer, targets, name, target):
    target = targets[target]
    assert client_for(reviewer).get(reverse(name, args=[target])).status_code == 405


def test_review_actions_need_the_csrf_token(reviewer, targets):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(reverse("review:review", args=[targets["output"]]), {"action": "reject"})
    assert response.status_code == 403
    assert Output.objects.get(pk=targets["output"]).review_state == ReviewState.APPROVED
