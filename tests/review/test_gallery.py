"""The project and run galleries: filters from the URL, the count of matches, pages, grouping by product."""

import re
from datetime import UTC

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.review.filters import GalleryFilter
from studio.review.selectors import GROUPS_PER_PAGE, PAGE_SIZE, output_gallery, output_groups_page
from tests.review.conftest import ids
from tests.review.factories import make_output, make_run, product


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'id="output-(\d+)"', response.content.decode())}


def test_it_shows_every_image_of_the_project_with_the_count(staff_client, project, gallery):
    response = staff_client.get(reverse("review:project", args=[project.pk]))
    assert response.status_code == 200
    assert shown(response) == ids(gallery.outputs.values())
    assert "8 images match" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=approved", {"wash-shirt-2", "upscale-shirt", "text-2"}),
        ("state=rejected", {"wash-dress-2"}),
        ("operation=upscale", {"upscale-shirt", "upscale-dress"}),
        ("vendor=imagetasks", {"text-1", "text-2"}),
        ("vendor=imagewash&state=pending", {"wash-shirt-1", "wash-dress-1"}),
    ],
)
def test_it_filters_by_state_operation_and_vendor(staff_client, project, gallery, query, expected):
    response = staff_client.get(reverse("review:project", args=[project.pk]) + "?" + query)
    assert shown(response) == {gallery.outputs[name].pk for name in expected}
    assert f"{len(expected)} image" in response.content.decode()


def test_it_filters_by_run_model_and_product(staff_client, project, gallery):
    url = reverse("review:project", args=[project.pk])
    by_run = shown(staff_client.get(f"{url}?run={gallery.upscale.pk}"))
    by_model = shown(staff_client.get(f"{url}?model={gallery.wash.offering_id}"))
    by_product = shown(staff_client.get(f"{url}?product={gallery.dress.pk}"))
    names = {value.pk: key for key, value in gallery.outputs.items()}
    assert {names[pk] for pk in by_run} == {"upscale-shirt", "upscale-dress"}
    assert {names[pk] for pk in by_model} == {"wash-shirt-1", "wash-shirt-2", "wash-dress-1", "wash-dress-2"}
    assert {names[pk] for pk in by_product} == {"wash-dress-1", "wash-dress-2", "upscale-dress"}


def test_it_filters_by_date(staff_client, project, gallery):
    from datetime import datetime, timedelta

    old = gallery.outputs["text-1"]
    old.created_at = datetime(2024, 5, 1, 12, tzinfo=UTC)
    old.save(update_fields=["created_at"])
    url = reverse("review:project", args=[project.pk])
    assert shown(staff_client.get(f"{url}?to=2024-05-01")) == {old.pk}
    assert old.pk not in shown(staff_client.get(f"{url}?from=2024-05-02"))
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert shown(staff_client.get(f"{url}?from={tomorrow}")) == set()


def test_the_run_gallery_shows_only_that_run(staff_client, gallery):
    response = staff_client.get(reverse("review:run", args=[gallery.wash.pk]))
    assert shown(response) == {gallery.outputs[name].pk for name in gallery.outputs if name.startswith("wash")}
    assert "Gallery of run" in response.content.decode()


def test_sort_by_product_orders_by_the_source_products_name(project, gallery):
    outputs = list(output_gallery(project=project, filters=GalleryFilter(sort="product")))
    names = [output.source_asset.original_name if output.source_asset else None for output in outputs]
    assert names == ["Blue dress.png"] * 3 + ["Red shirt.png"] * 3 + [None, None]


def test_newest_first_by_default(project, gallery):
    outputs = list(output_gallery(project=project, filters=GalleryFilter()))
    assert [output.pk for output in outputs] == sorted(ids(gallery.outputs.values()), reverse=True)


def test_filters_live_in_the_url_and_survive_in_every_link(staff_client, project, gallery):
    page = staff_client.get(reverse("review:project", args=[project.pk]) + "?vendor=imagewash&sort=product")
    content = page.content.decode()
    viewer = reverse("review:viewer", args=[gallery.outputs["wash-dress-1"].pk])
    assert f'href="{viewer}?vendor=imagewash&amp;sort=product"' in content
    assert '<option value="imagewash" selected>' in content
    assert "approved.zip?vendor=imagewash" in content


@pytest.mark.parametrize(
    "query",
    [
        "state=maybe",
        "run=abc",
        "run=99999999999999999999",
        "from=2024-13-45",
        "product=-1",
        "sort=random&group=vendor",
        "after=0",
        "after=-3",
        "after=99999999999999999",
        "after=abc",
        "model=1%00",
        "state=%ff%fe",
    ],
)
def test_bad_querystrings_are_ignored_and_reported_never_an_error(staff_client, project, gallery, query):
    response = staff_client.get(reverse("review:project", args=[project.pk]) + "?" + query)
    assert response.status_code == 200
    if not query.startswith("after"):
        assert "Ignored what this page does not know" in response.content.decode()


def next_url(response) -> str:
    return (
        re.search(r'hx-get="([^"]+)" hx-trigger="revealed"', response.content.decode()).group(1).replace("&amp;", "&")
    )


def test_pages_load_as_the_user_scrolls(staff_client, project, staff):
    run = make_run(project, user=staff)
    made = [make_output(run) for _ in range(PAGE_SIZE + 5)]
    first = staff_client.get(reverse("review:project", args=[project.pk]))
    assert len(shown(first)) == PAGE_SIZE
    second = staff_client.get(next_url(first), headers={"HX-Request": "true"})
    assert len(shown(second)) == 5
    assert shown(first) | shown(second) == ids(made)
    assert "<html" not in second.content.decode() and "revealed" not in second.content.decode()


def test_reviewing_on_one_page_skips_nothing_on_the_next(reviewer, reviewer_client, project, staff):
    """Pages follow the last card shown: approving cards moves them out of "pending" without shifting the rest."""
    from studio.review.services import outputs_review_bulk
    from studio.runs.models import Output

    run = make_run(project, user=staff)
    made = [make_output(run) for _ in range(PAGE_SIZE + 5)]
    first = reviewer_client.get(reverse("review:project", args=[project.pk]) + "?state=pending")
    outputs_review_bulk(
        outputs=Output.objects.filter(pk__in=list(shown(first))[:30]), actor=reviewer, to_state="approved"
    )
    second = reviewer_client.get(next_url(first), headers={"HX-Request": "true"})
    assert shown(second) == ids(made) - shown(first)


def test_groups_load_as_the_user_scrolls(staff_client, project, staff):
    run = make_run(project, user=staff)
    for n in range(GROUPS_PER_PAGE + 2):
        make_output(run, source=product(project, f"Product {n:02d}.png", (n, n, n), staff))
    first = staff_client.get(reverse("review:project", args=[project.pk]) + "?group=product")
    assert first.content.decode().count('class="product-group"') == GROUPS_PER_PAGE
    second = staff_client.get(next_url(first), headers={"HX-Request": "true"}).content.decode()
    assert second.count('class="product-group"') == 2
    assert "Product 08.png" in second and "Product 09.png" in second and "Product 07.png" not in second


def test_a_filter_change_by_htmx_answers_only_the_gallery(staff_client, project, gallery):
    response = staff_client.get(
        reverse("review:project", args=[project.pk]) + "?state=approved", headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="gallery"')
    assert "3 images match" in content


def test_the_query_count_does_not_grow_with_the_rows(staff_client, project, staff):
    url = reverse("review:project", args=[project.pk]) + "?vendor=imagewash&state=pending"
    run = make_run(project, user=staff)
    for _ in range(3):
        make_output(run)
    staff_client.get(url)  # the first visit also stores the current team in the session
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    other = make_run(project, kind="hdredraw", operation="upscale", user=staff)
    for _ in range(PAGE_SIZE + 10):
        make_output(run)
        make_output(other)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(url)
    assert len(shown(response)) == PAGE_SIZE
    assert len(few) == len(many) <= 10, [query["sql"][:120] for query in many]


def test_grouping_puts_each_products_outputs_side_by_side_across_runs_and_vendors(staff_client, project, gallery):
    page = output_groups_page(project=project, filters=GalleryFilter(group="product"))
    groups = {group.product.original_name: {output.pk for output in group.outputs} for group in page.groups}
    o = gallery.outputs
    assert list(groups) == ["Blue dress.png", "Red shirt.png"]
    assert groups["Red shirt.png"] == {o["wash-shirt-1"].pk, o["wash-shirt-2"].pk, o["upscale-shirt"].pk}
    assert groups["Blue dress.png"] == {o["wash-dress-1"].pk, o["wash-dress-2"].pk, o["upscale-dress"].pk}
    assert page.without_product == 2
    response = staff_client.get(reverse("review:project", args=[project.pk]) + "?group=product")
    content = response.content.decode()
    assert content.count('class="product-group"') == 2
    assert reverse("assets:thumbnail", args=[gallery.shirt.pk]) in content  # the original beside its outputs
    assert "2 images have no source product" in content


def test_grouping_honours_the_other_filters(project, gallery):
    page = output_groups_page(project=project, filters=GalleryFilter(group="product", state="approved"))
    assert [(group.product.original_name, group.total) for group in page.groups] == [("Red shirt.png", 2)]


def test_an_empty_project_says_what_to_do(staff_client, project):
    content = staff_client.get(reverse("review:project", args=[project.pk])).content.decode()
    assert "No images yet" in content
    assert "No approved images yet" in content  # the disabled download button says why


def test_the_filter_menus_offer_the_projects_runs_models_and_products(staff_client, project, gallery):
    content = staff_client.get(reverse("review:project", args=[project.pk]) + f"?product={gallery.dress.pk}").content
    content = content.decode()
    assert f'<option value="{gallery.dress.pk}" selected>Blue dress.png</option>' in content
    assert f'<option value="{gallery.shirt.pk}">Red shirt.png</option>' in content
    assert f'<option value="{gallery.upscale.pk}">{gallery.upscale.pk} · Upscale / HD redraw' in content
    assert f'<option value="{gallery.text.offering_id}">' in content


def test_picking_a_run_in_the_project_gallery_keeps_the_project_gallery(staff_client, project, gallery):
    url = reverse("review:project", args=[project.pk])
    content = staff_client.get(f"{url}?run={gallery.wash.pk}").content.decode()
    assert f'href="{url}?state=approved&amp;run={gallery.wash.pk}"' in content  # tabs stay on the project page
    run_page = staff_client.get(reverse("review:run", args=[gallery.wash.pk])).content.decode()
    assert f'href="{reverse("review:run", args=[gallery.wash.pk])}?state=approved"' in run_page


@pytest.mark.parametrize("sort", ["newest", "product"])
@pytest.mark.parametrize("group", ["", "product"])
@pytest.mark.parametrize("state", ["", "pending"])
def test_every_sort_and_layout_shows_the_same_images(staff_client, project, gallery, sort, group, state):
    response = staff_client.get(
        reverse("review:project", args=[project.pk]) + f"?sort={sort}&group={group}&state={state}"
    )
    expected = {o.pk for o in gallery.outputs.values() if not state or o.review_state == state}
    if group:  # groups hold the images made from a product; the others are counted below them
        expected = {pk for pk in expected if pk not in {gallery.outputs["text-1"].pk, gallery.outputs["text-2"].pk}}
    assert shown(response) == expected


def test_the_viewer_shows_the_prompt_hdredraw_wrote_for_its_redraw(staff_client, project, staff):
    from studio.runs.models import Task

    run = make_run(project, kind="hdredraw", operation="upscale", params={"scale": 2}, user=staff)
    output = make_output(run)
    Task.objects.filter(pk=output.task_id).update(
        result={"status": "succeeded", "details": {"generated_prompt": "linen shirt, studio light"}}
    )
    page = staff_client.get(reverse("review:viewer", args=[output.pk])).content.decode()
    assert "Prompt the vendor wrote" in page and "linen shirt, studio light" in page


def test_by_product_the_gallery_reads_the_names_kept_on_each_output_not_every_product(project, gallery):
    """The order comes from the outputs' own (project, product name, product id, …) index: no join to the
    products that would sort every matching output."""
    for sort, group in (("product", False), ("product", True)):
        filters = GalleryFilter(sort=sort, group="product" if group else "")
        with CaptureQueriesContext(connection) as queries:
            if group:
                output_groups_page(project=project, filters=filters)
            else:
                list(output_gallery(project=project, filters=filters)[:PAGE_SIZE])
        ordering = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]][0]
        assert "assets_asset" not in ordering and "sort_product_name" in ordering


def test_outputs_made_in_bulk_or_one_by_one_carry_their_products_name(project, staff):
    from studio.runs.models import NO_PRODUCT, Output

    shirt = product(project, "Red shirt.png", user=staff)
    run = make_run(project, user=staff)
    one = make_output(run, source=shirt)
    text_made = make_output(run)
    bulk = Output(run=run, project=project, task=one.task, index=99, source_asset=shirt, file="x.png",
                  content_type="image/png", byte_size=1, sha256="0")  # fmt: skip
    made = Output.objects.bulk_create([bulk])
    outputs = Output.objects.filter(pk__in=[one.pk, text_made.pk, made[0].pk])
    rows = outputs.values_list("sort_product_name", "sort_product_id")
    assert sorted(rows) == sorted([("Red shirt.png", shirt.pk)] * 2 + [(NO_PRODUCT, 0)])
