"""Approve, reject (with a reason) and reset: one by one, by selection, or everything matching the filter.
Every change is a ReviewEvent (who, when, from, to, why), shown on the output."""

import re

import pytest
from django.urls import reverse

from studio.review.models import ReviewEvent
from studio.review.services import output_review, outputs_review_bulk
from studio.runs.models import Output, ReviewState
from tests.conftest import client_for


def state(output) -> str:
    return Output.objects.get(pk=output.pk).review_state


def test_it_records_who_when_from_and_to(reviewer, gallery):
    output = gallery.outputs["wash-shirt-1"]
    event = output_review(output_id=output.pk, actor=reviewer, to_state=ReviewState.REJECTED, reason="  blurry   logo ")
    output.refresh_from_db()
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        reviewer,
        "pending",
        "rejected",
        "blurry logo",
    )
    assert (output.review_state, output.review_reason, output.reviewed_by) == ("rejected", "blurry logo", reviewer)
    assert output.reviewed_at == event.created_at


def test_a_change_to_the_same_state_records_nothing(reviewer, gallery):
    output = gallery.outputs["wash-shirt-2"]  # already approved
    assert output_review(output_id=output.pk, actor=reviewer, to_state=ReviewState.APPROVED) is None
    assert not ReviewEvent.objects.exists()


def test_reset_clears_the_reason_and_the_reviewer_but_keeps_the_history(reviewer, admin, gallery):
    output = gallery.outputs["wash-shirt-1"]
    output_review(output_id=output.pk, actor=reviewer, to_state=ReviewState.REJECTED, reason="crooked")
    output_review(output_id=output.pk, actor=admin, to_state=ReviewState.PENDING, reason="ignored for a reset")
    output.refresh_from_db()
    assert (output.review_state, output.review_reason, output.reviewed_by) == ("pending", "", None)
    history = list(ReviewEvent.objects.filter(output=output).values_list("actor__username", "from_state", "to_state"))
    assert history == [("ada-admin", "rejected", "pending"), ("rita-reviewer", "pending", "rejected")]


def test_the_viewer_shows_the_history_and_the_reason_to_staff(staff, reviewer, gallery):
    output = gallery.outputs["wash-shirt-1"]
    output_review(output_id=output.pk, actor=reviewer, to_state=ReviewState.REJECTED, reason="wrong colour")
    content = client_for(staff).get(reverse("review:viewer", args=[output.pk])).content.decode()
    assert "rita-reviewer: Pending → Rejected" in content
    assert "wrong colour" in content
    assert 'name="action"' not in content  # staff see states and reasons, without the review buttons
    assert "Reviewers and admins approve or reject images." in content


def test_a_card_button_reviews_one_output_and_answers_its_card(reviewer_client, gallery):
    output = gallery.outputs["wash-dress-1"]
    response = reviewer_client.post(
        reverse("review:review", args=[output.pk]) + "?state=pending",
        {"action": "reject", "reason": "shadow"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li class="review-card state-rejected" id="output-{output.pk}"')
    assert "shadow" in content
    assert state(output) == "rejected"


def test_reviewing_in_the_viewer_moves_on_to_the_next_image_of_the_filter(reviewer_client, project, gallery):
    pending = sorted((o for o in gallery.outputs.values() if o.review_state == "pending"), key=lambda o: -o.pk)
    response = reviewer_client.post(
        reverse("review:review", args=[pending[0].pk]) + "?state=pending",
        {"action": "approve", "from": "viewer"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert f'data-output="{pending[1].pk}"' in content.split('class="viewer"')[1][:200]  # the next pending image
    assert f'id="output-{pending[0].pk}" data-output="{pending[0].pk}" hx-swap-oob="true"' in content  # its card
    assert state(pending[0]) == "approved"


def test_reviewing_the_last_image_in_the_viewer_stays_on_it(reviewer_client, gallery):
    last = min(gallery.outputs.values(), key=lambda o: o.pk)  # newest first: the oldest is the last one
    response = reviewer_client.post(
        reverse("review:review", args=[last.pk]),
        {"action": "approve", "from": "viewer"},
        headers={"HX-Request": "true"},
    )
    assert "That was the last image here." in response.content.decode()


def test_without_javascript_the_viewer_form_redirects_to_the_next_image(reviewer_client, gallery):
    output = gallery.outputs["text-2"]
    response = reviewer_client.post(
        reverse("review:review", args=[output.pk]) + "?vendor=imagetasks", {"action": "reject", "from": "viewer"}
    )
    assert response.url == reverse("review:viewer", args=[gallery.outputs["text-1"].pk]) + "?vendor=imagetasks"


def test_bulk_review_of_a_selection(reviewer_client, project, gallery):
    chosen = [gallery.outputs["wash-shirt-1"], gallery.outputs["upscale-dress"]]
    response = reviewer_client.post(
        reverse("review:bulk", args=[project.pk]),
        {"action": "approve", "output": [str(o.pk) for o in chosen]},
        headers={"HX-Request": "true"},
    )
    assert "Approved 2 images." in response.content.decode()
    assert [state(o) for o in chosen] == ["approved", "approved"]
    assert ReviewEvent.objects.count() == 2
    assert state(gallery.outputs["wash-dress-1"]) == "pending"


def test_bulk_review_of_everything_matching_the_filter(reviewer_client, project, gallery):
    url = reverse("review:bulk", args=[project.pk]) + "?vendor=imagewash&state=pending"
    response = reviewer_client.post(url, {"action": "reject", "all_matching": "1", "reason": "off-brand"})
    assert response.status_code == 302
    assert response.url == reverse("review:project", args=[project.pk]) + "?state=pending&vendor=imagewash"
    rejected = set(
        Output.objects.filter(review_state="rejected", review_reason="off-brand").values_list("pk", flat=True)
    )
    assert rejected == {gallery.outputs["wash-shirt-1"].pk, gallery.outputs["wash-dress-1"].pk}
    assert state(gallery.outputs["upscale-dress"]) == "pending"  # another vendor: not matching
    assert state(gallery.outputs["wash-shirt-2"]) == "approved"  # another state: not matching


def test_bulk_review_of_a_project_gallery_filtered_by_run(reviewer_client, project, gallery):
    url = reverse("review:bulk", args=[project.pk]) + f"?run={gallery.upscale.pk}"
    response = reviewer_client.post(url, {"action": "reset", "all_matching": "1"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "Reset 1 image to pending." in content
    assert content.lstrip().startswith('<section id="gallery"')  # only the #gallery part
    assert 'name="run"' in content  # still the project's gallery: its run menu stays
    assert state(gallery.outputs["upscale-shirt"]) == "pending"
    assert state(gallery.outputs["wash-shirt-2"]) == "approved"


def test_bulk_review_in_a_runs_gallery_stays_in_that_run(reviewer_client, project, gallery):
    url = reverse("review:run_bulk", args=[gallery.wash.pk]) + f"?run={gallery.upscale.pk}"  # the path wins
    response = reviewer_client.post(url, {"action": "reject", "all_matching": "1"})
    assert response.url == reverse("review:run", args=[gallery.wash.pk])
    rejected = set(Output.objects.filter(review_state="rejected").values_list("run_id", flat=True))
    assert rejected == {gallery.wash.pk}
    assert state(gallery.outputs["upscale-shirt"]) == "approved"


def test_bulk_review_without_a_selection_says_so(reviewer_client, project, gallery):
    response = reviewer_client.post(reverse("review:bulk", args=[project.pk]), {"action": "approve"}, follow=True)
    assert "Select images first" in response.content.decode()
    assert not ReviewEvent.objects.exists()


@pytest.mark.parametrize("action", ["", "delete", "approved"])
def test_an_unknown_action_changes_nothing(reviewer_client, project, gallery, action):
    output = gallery.outputs["wash-shirt-1"]
    single = reviewer_client.post(reverse("review:review", args=[output.pk]), {"action": action})
    assert single.status_code == 400
    reviewer_client.post(reverse("review:bulk", args=[project.pk]), {"action": action, "all_matching": "1"})
    assert not ReviewEvent.objects.exists()


def test_bulk_review_of_thousands_writes_one_event_each(reviewer, project, staff):
    from tests.review.factories import make_run, make_task

    run = make_run(project, user=staff)
    task = make_task(run)
    Output.objects.bulk_create(
        Output(
            run=run,
            project=project,
            task=task,
            index=n,
            file=f"x/{n}.png",
            content_type="image/png",
            byte_size=1,
            sha256="0",
        )
        for n in range(1200)
    )
    events = outputs_review_bulk(outputs=Output.objects.filter(run=run), actor=reviewer, to_state=ReviewState.APPROVED)
    assert len(events) == 1200 == ReviewEvent.objects.filter(to_state="approved").count()
    assert Output.objects.filter(run=run, review_state="approved").count() == 1200


def test_a_long_reason_is_cut_not_refused(reviewer, gallery):
    output = gallery.outputs["wash-shirt-1"]
    output_review(output_id=output.pk, actor=reviewer, to_state=ReviewState.REJECTED, reason="x" * 2000)
    output.refresh_from_db()
    assert len(output.review_reason) == 500


def test_the_history_is_read_only_in_django_admin(reviewer, gallery, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="x")
    output_review(output_id=gallery.outputs["text-1"].pk, actor=reviewer, to_state=ReviewState.REJECTED, reason="noise")
    client = client_for(superuser)
    listing = client.get(reverse("admin:review_reviewevent_changelist"))
    assert listing.status_code == 200 and "noise" in listing.content.decode()
    event = ReviewEvent.objects.get()
    assert client.post(reverse("admin:review_reviewevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert ReviewEvent.objects.filter(pk=event.pk).exists()


def test_a_card_review_brings_the_tab_counts_and_the_download_button_up_to_date(reviewer_client, gallery):
    from studio.runs.models import Output

    pending = Output.objects.filter(review_state="pending", kind="image").count()
    approved = Output.objects.filter(review_state="approved", kind="image").count()
    output = Output.objects.filter(review_state="pending", kind="image").first()
    url = reverse("review:review", args=[output.pk]) + "?state=pending"
    content = reviewer_client.post(url, {"action": "approve"}, headers={"HX-Request": "true"}).content.decode()
    start = content.find('<div class="gallery-bar" id="gallery-bar" hx-swap-oob="true">')
    assert start > 0, "the gallery bar comes out of band, after the card"
    text = " ".join(re.sub(r"<[^>]+>", " ", content[start:]).split())
    assert f"Pending {pending - 1}" in text and f"Approved {approved + 1}" in text
    assert f"Download {approved + 1} approved (ZIP)" in text
