"""Jobs of any size: a wash over the vendor's 100-per-call limit is split into calls, with the total shown
before it starts, and Studio's own bounds (MAX_JOB_INPUTS, MAX_JOB_OUTPUTS) refuse with a message."""

import re

import pytest
from django.urls import reverse

from studio.assets.ingest import asset_ingest
from studio.points.services import points_balance
from studio.runs.models import Run, RunState
from studio.runs.services import MAX_JOB_OUTPUTS
from studio.vendors.base import MAX_JOB_INPUTS
from studio.vendors.imagewash import MAX_PRODUCTS
from studio.vendors.models import Offering
from tests import images
from tests.images import upload
from tests.run_fixtures import drive, many_products, wash_form


def estimate_text(client, project, form) -> str:
    page = client.post(reverse("runs:estimate", args=[project.pk]), form).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_a_wash_of_more_products_than_a_call_takes_is_priced_with_its_total_and_split_into_calls(
    staff_client, project, staff, offerings, rich
):
    products = many_products(project, staff, 120)
    form = wash_form(offerings, products, param_count="2")

    text = estimate_text(staff_client, project, form)

    assert "120 products × 2 = 240 images in 3 vendor calls · 960 points" in text
    staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    run = Run.objects.get()
    assert (run.outputs_expected, run.points_charged, points_balance(team=rich)) == (240, 960, 40)
    per_call = [len(task.request["inputs"]) for task in run.tasks.order_by("index")]
    assert per_call == [50, 50, 20]  # 100 child tasks a call at most: 50 products × 2
    sent = sorted(item["asset"] for task in run.tasks.all() for item in task.request["inputs"])
    assert sent == sorted(asset.pk for asset in products)  # each product once, none lost between calls


def test_large_totals_are_written_with_thousands_separators(staff_client, project, staff, offerings, rich):
    products = many_products(project, staff, 1500)
    text = estimate_text(staff_client, project, wash_form(offerings, products, param_count="2"))
    assert "1,500 products × 2 = 3,000 images in 30 vendor calls · 12,000 points" in text


def test_more_than_a_job_takes_is_refused_with_the_bound_and_nothing_is_charged(
    staff_client, project, staff, offerings, rich
):
    products = many_products(project, staff, MAX_JOB_INPUTS + 1)
    form = wash_form(offerings, products, param_count="1")

    text = estimate_text(staff_client, project, form)
    response = staff_client.post(reverse("runs:submit", args=[project.pk]), form)

    refused = "One job takes at most 2,000 images here, and 2,001 are chosen. Start several jobs of up to 2,000."
    assert refused in text
    assert response.status_code == 400 and refused in response.content.decode()
    assert not Run.objects.exists() and points_balance(team=rich) == 1000


def test_one_image_operations_are_bounded_too(staff_client, project, staff, offerings, rich):
    products = many_products(project, staff, MAX_JOB_INPUTS + 1)
    upscale = offerings.get(account__kind="hdredraw", operation="upscale")
    form = {"operation": "upscale", "offering": upscale.pk, "input_product": [a.pk for a in products]}
    assert "2,001 are chosen" in estimate_text(staff_client, project, form)

    form["input_product"] = form["input_product"][:3]
    assert "3 products × 1 = 3 images in 3 vendor calls" in estimate_text(staff_client, project, form)


def test_a_job_that_would_make_too_many_images_is_refused_before_charging(
    staff_client, project, staff, offerings, rich
):
    products = many_products(project, staff, 200)
    form = wash_form(offerings, products, param_count="51")  # 10,200 images

    text = estimate_text(staff_client, project, form)

    assert f"This job would make 10,200 images; one job makes at most {MAX_JOB_OUTPUTS:,}." in text
    assert staff_client.post(reverse("runs:submit", args=[project.pk]), form).status_code == 400
    assert not Run.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_split_wash_runs_through_the_simulator_one_vendor_task_per_call(
    accounts, simulator, project, staff, funded, staff_client
):
    products = [
        asset_ingest(project=project, upload=upload(f"{n}.png", images.distinct_png(n)), user=staff).asset
        for n in range(MAX_PRODUCTS + 5)
    ]
    offering = Offering.objects.get(account=accounts["imagewash"], operation="wash", model="nanoBanana2")
    form = {"operation": "wash", "offering": offering.pk, "param_prompt": "on linen", "param_count": "1",
            "input_product": [asset.pk for asset in products]}  # fmt: skip
    staff_client.post(reverse("runs:submit", args=[project.pk]), form)

    run = drive(Run.objects.get(), timeout=90)

    assert run.state == RunState.SUCCEEDED and run.outputs.count() == 105
    books = simulator.ledger_summary()["imagewash"]
    assert books["created"] == 2  # 100 + 5 products: two vendor tasks, neither sent twice
    assert {output.source_asset_id for output in run.outputs.all()} == {asset.pk for asset in products}


def test_the_composer_is_drawn_again_by_a_post_that_keeps_every_chosen_image(
    staff_client, project, staff, offerings, rich
):
    """A change of operation or vendor redraws the composer with the form: 2,000 ids do not fit in a URL."""
    products = many_products(project, staff, MAX_JOB_INPUTS)
    form = wash_form(offerings, products, param_prompt="")

    page = staff_client.post(reverse("runs:compose", args=[project.pk]), form).content.decode()

    assert len(re.findall(r'name="input_product" value="\d+" checked', page)) == MAX_JOB_INPUTS
    assert "This is required." not in page  # a redraw does not scold for what is still to be filled in
    assert "Choose the images and settings above: the price shows here." in page


def test_the_pickers_show_sizes_and_mark_images_a_job_used(staff_client, project, staff, offerings, rich):
    products = many_products(project, staff, 3)
    staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, products[:1]))

    page = staff_client.get(reverse("runs:compose", args=[project.pk])).content.decode()

    picks = re.findall(r'<label class="pick[^"]*" data-name="([^"]+)"( data-used)?>', page)
    assert {name: bool(used) for name, used in picks} == {"p0.png": True, "p1.png": False, "p2.png": False}
    assert "64×80 · " in page and "Not used in a job yet" in page
