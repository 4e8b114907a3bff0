"""The viewer: the image, its source, its facts, next/previous in the gallery's order, "make more like this"."""

from django.urls import reverse

from studio.assets.models import Asset
from studio.review.filters import GalleryFilter
from studio.review.selectors import output_neighbours
from studio.runs.models import ReviewState
from tests.conftest import client_for
from tests.review.factories import make_output, make_run, product


def test_it_shows_the_image_its_source_and_its_facts(reviewer_client, gallery):
    output = gallery.outputs["upscale-shirt"]
    content = reviewer_client.get(reverse("review:viewer", args=[output.pk])).content.decode()
    assert reverse("runs:output", args=[output.pk, "file"]) in content  # the full image
    assert reverse("assets:original", args=[gallery.shirt.pk]) in content  # its source, for side by side
    assert "Before / after" in content and "Zoom" in content
    assert "Upscale / HD redraw" in content and "hdredraw" in content
    assert "<code>scale=2</code>" in content
    assert "4 points" in content
    assert reverse("runs:detail", args=[gallery.upscale.pk]) in content
    assert content.count("<kbd>") >= 5  # A, R, U, Z, Esc are shown where they work


def test_a_text_to_image_output_has_no_source_to_compare(staff_client, gallery):
    content = staff_client.get(reverse("review:viewer", args=[gallery.outputs["text-1"].pk])).content.decode()
    assert "Before / after" not in content
    assert "a red shirt" in content  # the prompt


def test_htmx_gets_only_the_viewer_for_the_lightbox(staff_client, gallery):
    response = staff_client.get(
        reverse("review:viewer", args=[gallery.outputs["text-1"].pk]), headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<article class="viewer"')
    assert "<html" not in content


def test_next_and_previous_follow_the_filter_and_its_order(project, gallery):
    o = gallery.outputs
    by_product = GalleryFilter(sort="product", vendor="imagewash")
    # by product: Blue dress (wash-dress-2, wash-dress-1), then Red shirt (wash-shirt-2, wash-shirt-1), newest first
    assert output_neighbours(project=project, filters=by_product, output=o["wash-dress-1"]) == (
        o["wash-dress-2"].pk,
        o["wash-shirt-2"].pk,
    )
    assert output_neighbours(project=project, filters=by_product, output=o["wash-dress-2"]) == (
        None,
        o["wash-dress-1"].pk,
    )
    newest = GalleryFilter()
    assert output_neighbours(project=project, filters=newest, output=o["text-2"]) == (None, o["text-1"].pk)


def test_neighbours_still_work_when_the_output_left_the_filter(project, gallery):
    """Just approved in the "pending" gallery: its neighbours are the pending ones around where it was."""
    o = gallery.outputs
    pending = GalleryFilter(state="pending")
    assert output_neighbours(project=project, filters=pending, output=o["wash-dress-2"]) == (
        o["upscale-dress"].pk,
        o["wash-dress-1"].pk,
    )


def test_the_neighbour_links_carry_the_filter(staff_client, gallery):
    o = gallery.outputs
    content = staff_client.get(
        reverse("review:viewer", args=[o["wash-dress-1"].pk]) + "?vendor=imagewash"
    ).content.decode()
    assert f'href="{reverse("review:viewer", args=[o["wash-shirt-2"].pk])}?vendor=imagewash"' in content
    assert f'href="{reverse("review:viewer", args=[o["wash-dress-2"].pk])}?vendor=imagewash"' in content


def test_make_more_like_this_opens_the_composer_with_the_output_as_input(staff, project, gallery):
    run = gallery.wash
    run.inputs.create(asset=gallery.shirt, role="product")
    run.inputs.create(asset=gallery.dress, role="product")
    output = gallery.outputs["wash-shirt-1"]
    client = client_for(staff)
    response = client.post(reverse("review:more", args=[output.pk]), {"as": "input"})
    made = Asset.objects.get(original_name=f"Red-shirt-wash-{output.pk}.png")
    assert made.role == "product" and made.project == project
    url = response.url
    assert url.startswith(reverse("runs:compose", args=[project.pk]) + "?")
    assert f"input_product={made.pk}" in url and f"input_product={gallery.shirt.pk}" not in url
    assert f"offering={run.offering_id}" in url and "param_prompt=on+a+sunny+terrace" in url
    page = client.get(url).content.decode()
    assert f'value="{made.pk}" checked' in page.replace("\n", " ") or f'value="{made.pk}"  checked' in page
    assert "nothing starts until you press Start" in page


def test_make_more_like_this_as_a_reference_keeps_the_runs_inputs(staff_client, project, gallery):
    run = gallery.wash
    run.inputs.create(asset=gallery.shirt, role="product")
    output = gallery.outputs["wash-dress-1"]
    url = staff_client.post(reverse("review:more", args=[output.pk]), {"as": "reference"}).url
    made = Asset.objects.get(original_name=f"Blue-dress-wash-{output.pk}.png")
    assert made.role == "reference"
    assert f"input_reference={made.pk}" in url and f"input_product={gallery.shirt.pk}" in url


def test_making_more_twice_reuses_the_same_image(staff_client, project, gallery):
    output = gallery.outputs["wash-dress-1"]
    for _ in range(2):
        staff_client.post(reverse("review:more", args=[output.pk]), {"as": "input"})
    assert Asset.objects.count() == 3  # the two products and the one output, added once


def test_an_operation_without_that_input_says_so(staff_client, project, gallery):
    output = gallery.outputs["text-1"]
    response = staff_client.post(reverse("review:more", args=[output.pk]), {"as": "reference"}, follow=True)
    assert "This operation takes no Reference image" in response.content.decode()


def test_make_more_like_this_needs_an_active_project(staff_client, project, gallery):
    from django.utils import timezone

    project.archived_at = timezone.now()
    project.save()
    response = staff_client.post(reverse("review:more", args=[gallery.outputs["wash-dress-1"].pk]), {"as": "input"})
    assert response.status_code == 403


def test_reviewers_see_no_make_more_buttons(reviewer_client, gallery):
    content = reviewer_client.get(reverse("review:viewer", args=[gallery.outputs["text-1"].pk])).content.decode()
    assert "Make more like this" not in content
    assert 'data-key="a"' in content


def test_the_viewer_of_an_extra_or_another_teams_output_is_not_found(staff, outsider, project, other_project):
    from studio.runs.models import OutputKind

    run = make_run(project, kind="hdredraw", operation="vectorize", params={}, user=staff)
    image = make_output(run, source=product(project, "logo.png", user=staff), state=ReviewState.APPROVED)
    vector = make_output(run, task=image.task, kind=OutputKind.VECTOR)
    assert client_for(staff).get(reverse("review:viewer", args=[vector.pk])).status_code == 404
    assert client_for(outsider).get(reverse("review:viewer", args=[image.pk])).status_code == 404
