import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from studio.assets.ingest import asset_ingest
from studio.assets.models import Asset
from studio.projects.views import ASSETS_PER_PAGE
from tests import images
from tests.images import upload


def add_assets(project, user, count, role="product"):
    return [
        asset_ingest(project=project, upload=upload(f"{n}.png", images.distinct_png(n)), role=role, user=user).asset
        for n in range(count)
    ]


def test_roles_change_in_bulk_for_the_selected_images_only(staff_client, project, staff):
    first, second, third = add_assets(project, staff, 3)
    staff_client.post(
        reverse("assets:bulk", args=[project.pk]),
        {"action": "set_role", "role": "garment", "asset": [first.pk, third.pk]},
    )
    assert dict(Asset.objects.values_list("pk", "role")) == {
        first.pk: "garment",
        second.pk: "product",
        third.pk: "garment",
    }


def test_bulk_delete_removes_rows_and_files_after_commit(
    staff_client, project, staff, media_storage, django_capture_on_commit_callbacks
):
    first, second = add_assets(project, staff, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("assets:bulk", args=[project.pk]),
            {"action": "delete", "asset": [first.pk]},
            headers={"HX-Request": "true"},
        )
    assert "Deleted 1 image." in response.content.decode()
    assert list(Asset.objects.all()) == [second]
    assert not (media_storage / first.file.name).exists()
    assert not (media_storage / first.thumbnail.name).exists()
    assert (media_storage / second.file.name).exists()


def test_bulk_actions_ignore_images_of_other_projects(staff_client, project, other_project, outsider, staff):
    foreign = add_assets(other_project, outsider, 1)[0]
    add_assets(project, staff, 1)
    staff_client.post(reverse("assets:bulk", args=[project.pk]), {"action": "delete", "asset": [foreign.pk]})
    assert Asset.objects.filter(pk=foreign.pk).exists()


def test_bulk_without_a_selection_says_so(staff_client, project):
    response = staff_client.post(reverse("assets:bulk", args=[project.pk]), {"action": "delete"}, follow=True)
    assert "Select one or more images first." in response.content.decode()


def test_the_grid_filters_by_role_with_counts(staff_client, project, staff):
    add_assets(project, staff, 2)
    reference = asset_ingest(
        project=project, upload=upload("ref.jpg", images.jpeg(colour="#7048e8")), role="reference", user=staff
    ).asset
    page = staff_client.get(reverse("projects:detail", args=[project.pk]) + "?role=reference").content.decode()
    assert page.count('name="asset"') == 1
    assert f'value="{reference.pk}"' in page
    assert 'Product <span class="count">2</span>' in page


def test_the_grid_pages_with_htmx_in_constant_queries(staff_client, project, staff, django_assert_max_num_queries):
    add_assets(project, staff, ASSETS_PER_PAGE + 5)
    url = reverse("projects:detail", args=[project.pk])
    with django_assert_max_num_queries(11):  # 10, and the count of every match when they fill more than a page
        first = staff_client.get(url).content.decode()
    assert first.count('name="asset"') == ASSETS_PER_PAGE
    assert 'hx-trigger="revealed"' in first

    more = staff_client.get(url + "?page=2", headers={"HX-Request": "true"}).content.decode()
    assert more.count('name="asset"') == 5
    assert "<html" not in more and "revealed" not in more


def test_a_reviewer_sees_images_without_edit_controls(reviewer_client, project, staff):
    add_assets(project, staff, 1)
    page = reviewer_client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "/thumbnail/" in page
    assert 'name="asset"' not in page and 'id="uploader"' not in page


def test_files_are_served_with_their_type_and_downloads_keep_the_name(staff_client, project, staff):
    asset = add_assets(project, staff, 1)[0]
    thumbnail = staff_client.get(reverse("assets:thumbnail", args=[asset.pk]))
    assert thumbnail["Content-Type"] == "image/webp"
    assert b"".join(thumbnail.streaming_content)[8:12] == b"WEBP"
    original = staff_client.get(reverse("assets:original", args=[asset.pk]) + "?download=1")
    assert original["Content-Disposition"] == 'attachment; filename="0.png"'


def test_deleting_images_a_job_used_keeps_them_for_its_record_and_says_so(
    staff_client, project, staff, media_storage, django_capture_on_commit_callbacks
):
    from studio.runs.models import RunInput
    from tests.review.factories import make_run

    used, unused = add_assets(project, staff, 2)
    run = make_run(project, user=staff)
    RunInput.objects.create(run=run, asset=used, role="product")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("assets:bulk", args=[project.pk]),
            {"action": "delete", "asset": [used.pk, unused.pk]},
            headers={"HX-Request": "true"},
        )
    page = " ".join(response.content.decode().split())
    assert response.status_code == 200 and "Deleted 1 image." in page
    assert f"Kept 1 image that jobs used, so that their records stay whole: {used.original_name}." in page
    assert list(Asset.objects.all()) == [used] and (media_storage / used.file.name).exists()
    assert run.inputs.get().asset == used


def library_names(client, project, query: str) -> list[str]:
    page = client.get(reverse("projects:detail", args=[project.pk]) + query).content.decode()
    return re.findall(r'<span class="asset-name" title="([^"]+)"', page)


def test_the_library_searches_names_and_skus_and_filters_by_upload_date_and_use(staff_client, project, staff):
    from studio.runs.models import RunInput
    from tests.review.factories import make_run

    shirt, dress, old = (
        asset_ingest(project=project, upload=upload(name, images.distinct_png(n)), user=staff).asset
        for n, name in enumerate(["SKU-1001 shirt.png", "SKU-2002 dress.png", "SKU-1009 old.png"])
    )
    Asset.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    first, second = make_run(project, user=staff), make_run(project, user=staff)
    RunInput.objects.create(run=first, asset=shirt, role="product")
    RunInput.objects.create(run=second, asset=old, role="product")

    assert library_names(staff_client, project, "?q=sku-10") == [shirt.original_name, old.original_name]
    assert library_names(staff_client, project, "?q=10+SHIRT") == [shirt.original_name]
    assert library_names(staff_client, project, "?uploaded=month") == [dress.original_name, shirt.original_name]
    assert library_names(staff_client, project, "?usage=unused") == [dress.original_name]
    assert library_names(staff_client, project, "?usage=used") == [shirt.original_name, old.original_name]
    assert library_names(staff_client, project, f"?usage=run-{second.pk}") == [old.original_name]
    assert library_names(staff_client, project, "?usage=unused&role=model") == []
    for nonsense in ("?usage=run-x", "?usage=run-99999999999999999999", "?uploaded=year", "?page=1e9"):
        assert staff_client.get(reverse("projects:detail", args=[project.pk]) + nonsense).status_code == 200


def test_filters_survive_paging_role_tabs_and_bulk_actions(staff_client, project, staff):
    add_assets(project, staff, 3)
    page = staff_client.get(reverse("projects:detail", args=[project.pk]) + "?q=1&usage=unused").content.decode()
    assert 'href="?role=model&amp;q=1&amp;usage=unused"' in page
    assert "?q=1&amp;usage=unused" in re.search(r'<form id="bulk-form"[^>]*>', page).group()
    assert (
        "No images match these filters."
        in staff_client.get(reverse("projects:detail", args=[project.pk]) + "?q=nothing-like-this").content.decode()
    )


def test_new_job_with_these_opens_the_composer_with_the_selection_in_each_roles_picker(staff_client, project, staff):
    from tests.run_fixtures import offerings_everywhere

    offerings_everywhere()
    products = add_assets(project, staff, 3)
    reference = asset_ingest(project=project, upload=upload("ref.png", images.distinct_png(50)), role="reference",
                             user=staff).asset  # fmt: skip
    response = staff_client.post(
        reverse("assets:bulk", args=[project.pk]),
        {"action": "compose", "asset": [products[0].pk, products[2].pk, reference.pk]},
        headers={"HX-Request": "true"},
    )
    page = staff_client.get(response["HX-Redirect"]).content.decode()

    chosen = set(re.findall(r'name="(input_\w+)" value="(\d+)" checked', page))
    assert chosen == {("input_product", str(products[0].pk)), ("input_product", str(products[2].pk)),
                      ("input_reference", str(reference.pk))}  # fmt: skip
    again = staff_client.get(response["HX-Redirect"]).content.decode()
    assert f'value="{products[0].pk}" checked' not in again  # the selection was handed over once


def test_all_matching_acts_on_every_image_the_filters_match_not_only_the_loaded_page(staff_client, project, staff):
    from tests.run_fixtures import many_products

    many_products(project, staff, ASSETS_PER_PAGE + 20)  # p0-p2.png, then SKU-00003.png … SKU-00079.png
    page = staff_client.get(reverse("projects:detail", args=[project.pk]) + "?q=sku").content.decode()
    assert 'data-total="77"' in page and "All 77 matching" in page

    staff_client.post(
        reverse("assets:bulk", args=[project.pk]) + "?q=sku",
        {"action": "set_role", "role": "garment", "all_matching": "1"},
    )

    roles = dict(Asset.objects.values_list("original_name", "role"))
    assert sum(role == "garment" for role in roles.values()) == 77
    assert {roles["p0.png"], roles["p1.png"], roles["p2.png"]} == {"product"}  # outside the filter: untouched
