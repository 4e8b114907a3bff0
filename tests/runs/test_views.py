"""The composer and the run pages: who may do what, the live price, submitting, cancel and retry."""

import re

import pytest
from django.urls import reverse

from studio.accounts.models import Membership
from studio.assets.ingest import asset_ingest
from studio.points.services import points_balance
from studio.runs.models import Run, RunState, Task, TaskState
from studio.runs.services import member_points_left
from studio.vendors.models import Offering
from tests import images
from tests.conftest import client_for
from tests.images import upload
from tests.run_fixtures import drive, wash_form


@pytest.fixture
def shots(project, staff):
    return [
        asset_ingest(project=project, upload=upload(f"{n}.png", images.distinct_png(n)), user=staff).asset
        for n in range(3)
    ]


@pytest.mark.parametrize(("who", "expected"), [("staff", 200), ("admin", 200), ("reviewer", 403), ("outsider", 404)])
def test_only_staff_and_admins_of_the_team_compose(who, expected, request, project, offerings):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("runs:compose", args=[project.pk])).status_code == expected
    response = client.post(reverse("runs:submit", args=[project.pk]), {"operation": "wash"})
    assert response.status_code == (302 if expected == 200 else expected)
    assert not Run.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(project, offerings):
    for url in (reverse("runs:compose", args=[project.pk]), reverse("runs:list", args=[project.pk])):
        assert client_for(None).get(url).url.startswith(reverse("login"))


def test_the_composer_offers_all_sixteen_operations_and_the_chosen_ones_settings(staff_client, project, offerings):
    page = staff_client.get(reverse("runs:compose", args=[project.pk]) + "?operation=expand").content.decode()
    assert page.count('name="operation"') == 16
    assert 'name="param_expand_top"' in page and 'max="0.3"' in page
    assert "Remove watermark" in page


def test_the_live_estimate_prices_the_job_against_the_balance(staff_client, project, offerings, shots, rich):
    response = staff_client.post(reverse("runs:estimate", args=[project.pk]), wash_form(offerings, shots))
    text = " ".join(response.content.decode().split())
    assert "6 images" in text and "1 vendor call" in text and "24 points" in text and "balance after: 976" in text


def test_the_estimate_puts_each_broken_rule_next_to_its_field(staff_client, project, offerings, shots, rich):
    form = wash_form(offerings, shots, param_prompt="", param_count="0")
    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), form).content.decode()
    assert '<div id="error-prompt" class="field-error" hx-swap-oob="true">This is required.</div>' in page
    assert "Must be between 1 and 100." in page
    assert "disabled" in page  # nothing can be started


@pytest.mark.parametrize("count", ["nan", "inf", "-inf", "1e999", "many"])
def test_a_count_that_is_no_number_is_refused_on_its_field_and_nothing_is_charged(
    staff_client, project, offerings, shots, rich, count
):
    form = wash_form(offerings, shots, param_count=count)
    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), form).content.decode()
    assert '<div id="error-count" class="field-error" hx-swap-oob="true">Must be a number.</div>' in page
    assert staff_client.post(reverse("runs:submit", args=[project.pk]), form).status_code == 400
    assert not Run.objects.exists() and points_balance(team=rich) == 1000


@pytest.mark.parametrize("repeat", ["1000", "11", "0", "-5", "2.5", "many"])
def test_images_per_input_out_of_range_are_refused_with_the_range_not_quietly_changed(
    staff_client, project, offerings, shots, rich, repeat
):
    upscale = offerings.get(account__kind="hdredraw", operation="upscale")
    form = {"operation": "upscale", "offering": upscale.pk, "input_product": [shots[0].pk], "repeat": repeat}
    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), form).content.decode()
    refused = "Must be a whole number between 1 and 10."
    assert f'<div id="error-repeat" class="field-error" hx-swap-oob="true">{refused}' in page
    response = staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    assert response.status_code == 400 and refused in response.content.decode()
    assert not Run.objects.exists() and points_balance(team=rich) == 1000


def test_a_composer_link_with_impossible_numbers_still_opens(staff_client, project, offerings):
    url = reverse("runs:compose", args=[project.pk]) + "?operation=expand&param_width=inf&param_height=nan&repeat=1e999"
    assert staff_client.get(url).status_code == 200


def test_a_job_the_team_cannot_afford_shows_the_shortfall_and_charges_nothing(staff_client, project, offerings, shots):
    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), wash_form(offerings, shots)).content.decode()
    assert "24 short" in page
    response = staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, shots))
    assert response.status_code == 400
    assert "This job needs 24 points; the team has 0" in response.content.decode()
    assert not Run.objects.exists()


def test_submitting_starts_the_run_and_opens_its_page(staff_client, project, offerings, shots, rich):
    response = staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, shots))
    run = Run.objects.get()
    assert response.url == reverse("runs:detail", args=[run.pk])
    assert (run.outputs_expected, run.points_charged, points_balance(team=rich)) == (6, 24, 976)
    page = staff_client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Started: 6 images for 24 points." in page


def test_a_disabled_offering_cannot_be_submitted_even_by_a_crafted_post(staff_client, project, offerings, shots, rich):
    form = wash_form(offerings, shots)
    Offering.objects.filter(pk=form["offering"]).update(enabled=False)
    staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    assert not Run.objects.exists()
    assert points_balance(team=rich) == 1000


def test_one_input_operations_fan_out_one_job_per_image_and_repeat(staff_client, project, offerings, shots, rich):
    upscale = offerings.get(account__kind="hdredraw", operation="upscale")
    form = {"operation": "upscale", "offering": upscale.pk, "input_product": [a.pk for a in shots], "repeat": "2"}
    staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    run = Run.objects.get()
    assert run.tasks.count() == 6
    assert sorted(task.request["inputs"][0]["asset"] for task in run.tasks.all()) == sorted([a.pk for a in shots] * 2)


def test_images_of_another_project_cannot_be_slipped_in(
    staff_client, project, other_project, outsider, offerings, rich
):
    foreign = asset_ingest(project=other_project, upload=upload("x.png", images.distinct_png(9)), user=outsider).asset
    response = staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, [foreign]))
    assert response.status_code == 400
    assert not Run.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("staff", 200), ("reviewer", 200), ("admin", 200), ("outsider", 404)])
def test_every_member_sees_runs_but_only_staff_and_admins_cancel(
    who, expected, request, project, offerings, shots, rich, staff
):
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit

    wash = offerings.get(account__kind="imagewash", operation="wash", model="nanoBanana2")
    run = runs_submit(project=project, offering=wash, user=staff,
                      calls=[PlannedCall({"prompt": "x"}, (PlannedInput(shots[0], "product"),))])  # fmt: skip
    client = client_for(request.getfixturevalue(who))
    for url in (reverse("runs:detail", args=[run.pk]), reverse("runs:progress", args=[run.pk]),
                reverse("runs:list", args=[project.pk])):  # fmt: skip
        assert client.get(url).status_code == expected
    cancel = client.post(reverse("runs:cancel", args=[run.pk]))
    assert cancel.status_code == {"staff": 302, "admin": 302, "reviewer": 403, "outsider": 404}[who]


def test_the_progress_poll_stops_itself_when_the_run_is_over(staff_client, project, offerings, shots, rich, staff):
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit

    wash = offerings.get(account__kind="imagewash", operation="wash", model="nanoBanana2")
    run = runs_submit(project=project, offering=wash, user=staff,
                      calls=[PlannedCall({"prompt": "x"}, (PlannedInput(shots[0], "product"),))])  # fmt: skip
    assert staff_client.get(reverse("runs:progress", args=[run.pk])).status_code == 200
    Run.objects.filter(pk=run.pk).update(state=RunState.SUCCEEDED)
    stopped = staff_client.get(reverse("runs:progress", args=[run.pk]))
    assert stopped.status_code == 286 and "every 2s" not in stopped.content.decode()


@pytest.mark.django_db(transaction=True)
def test_cancel_drops_waiting_jobs_and_refunds_them(accounts, project, staff, funded, products):
    from studio.runs.services import PlannedCall, PlannedInput, runs_cancel, runs_submit

    upscale = Offering.objects.get(account=accounts["hdredraw"], operation="upscale")
    calls = [PlannedCall({}, (PlannedInput(p, "product"),)) for p in products[:3]]
    run = runs_submit(project=project, offering=upscale, user=staff, calls=calls)
    runs_cancel(run=run)
    run = drive(run)
    assert run.state == RunState.CANCELED
    assert set(run.tasks.values_list("state", flat=True)) == {TaskState.CANCELED}
    assert points_balance(team=funded) == 10_000


@pytest.mark.django_db(transaction=True)
def test_retrying_failed_jobs_charges_again_and_completes_the_run(
    accounts, simulator, project, staff, funded, products
):
    from django.core.management import call_command

    from studio.runs.services import PlannedCall, PlannedInput, runs_retry_failed, runs_submit
    from studio.simulator.core import Fault

    simulator.add_fault(Fault("fail_task", vendor="hdredraw"))
    watermark = Offering.objects.get(account=accounts["hdredraw"], operation="remove_watermark")
    run = drive(runs_submit(project=project, offering=watermark, user=staff,
                            calls=[PlannedCall({}, (PlannedInput(products[0], "product"),))]))  # fmt: skip
    assert run.state == RunState.FAILED and points_balance(team=funded) == 10_000

    retried, points = runs_retry_failed(run=run, user=staff)
    assert (retried, points) == (1, watermark.points)
    assert points_balance(team=funded) == 10_000 - watermark.points
    run = drive(run)

    assert run.state == RunState.SUCCEEDED  # the failed job stays on record, replaced by its retry
    assert Task.objects.get(run=run, index=1).state == TaskState.SUCCEEDED
    assert runs_retry_failed(run=run, user=staff) == (0, 0)  # the failed one was retried already
    call_command("reconcile_points")


def test_run_again_opens_the_composer_with_the_runs_settings_and_images(staff_client, project, offerings, shots, rich):
    staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, shots[:2], param_prompt="dune"))
    run = Run.objects.get()
    page = staff_client.get(reverse("runs:compose", args=[project.pk]) + f"?from_run={run.pk}").content.decode()
    assert ">dune</textarea>" in page
    for asset in shots[:2]:
        assert f'name="input_product" value="{asset.pk}" checked' in page
    assert f'name="input_product" value="{shots[2].pk}" checked' not in page


def test_a_failed_job_shows_the_vendors_words_and_what_to_do(staff_client, project, offerings, shots, rich, staff):
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit

    wash = offerings.get(account__kind="imagewash", operation="wash", model="nanoBanana2")
    run = runs_submit(project=project, offering=wash, user=staff,
                      calls=[PlannedCall({"prompt": "x"}, (PlannedInput(shots[0], "product"),))])  # fmt: skip
    run.tasks.update(state=TaskState.FAILED, error_class="insufficient_balance", error_message="余额不足")
    Run.objects.filter(pk=run.pk).update(state=RunState.FAILED)
    page = staff_client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    assert "余额不足" in page
    assert "Our account at the vendor is out of credit: a studio operator must top it up." in page
    assert "Run again with changes" in page


def test_the_composer_warns_when_lingtu_gets_a_product_that_is_not_a_cut_out(
    staff_client, project, offerings, rich, staff
):
    opaque = asset_ingest(project=project, upload=upload("shirt.jpg", images.jpeg(300, 300)), user=staff).asset
    backdrop = asset_ingest(project=project, upload=upload("bg.png", images.distinct_png(5)), user=staff).asset
    change = offerings.get(account__kind="lingtu", operation="change_background")
    form = {"operation": "change_background", "offering": change.pk, "input_product": [opaque.pk],
            "input_background": [backdrop.pk], "place_x": "100", "place_y": "100", "place_width": "300",
            "place_height": "300", "param_width": "800", "param_height": "800"}  # fmt: skip
    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), form).content.decode()
    assert "The product image has no transparent background" in page
    assert "points" in page  # a warning, not a refusal: the job can still start


@pytest.mark.parametrize(
    ("operation", "kind", "item"),
    [
        ("change_background", "backgrounds", {"id": "bg1", "category": "indoor", "image": "https://cdn.invalid/b.jpg"}),
        (
            "ai_model",
            "faces",
            {"id": "f1", "gender": "female", "skin": "white", "age": "adult", "preview": "https://cdn.invalid/f.jpg"},
        ),
    ],
)
def test_vendor_catalogues_are_offered_with_previews_from_the_studio(staff_client, project, offerings, operation, kind,
                                                                      item):  # fmt: skip
    from django.core.cache import cache

    account = offerings.get(account__kind="lingtu", operation=operation).account
    cache.set(f"catalogue:{account.pk}:{kind}", [item])
    page = staff_client.get(reverse("runs:compose", args=[project.pk]) + f"?operation={operation}").content.decode()
    preview = reverse("runs:catalogue_preview", args=[account.pk, kind, item["id"]])
    assert f'src="{preview}"' in page and "cdn.invalid" not in page  # the browser never talks to the vendor
    assert f'value="{item["id"]}"' in page


def test_a_fresh_composer_does_not_scold_but_the_live_price_names_what_is_missing(staff_client, project, offerings):
    offering = offerings.get(account__kind="imagewash", operation="wash", model="nanoBanana2")
    form = {"operation": "wash", "offering": offering.pk}
    fresh = staff_client.get(reverse("runs:compose", args=[project.pk]), form)
    assert "needed, 0 given" not in fresh.content.decode()
    assert "the price shows here" in fresh.content.decode()

    live = staff_client.post(reverse("runs:estimate", args=[project.pk]), form)
    assert "needed, 0 given" in live.content.decode()


def test_a_members_monthly_limit_is_shown_live_and_refuses_the_job(
    staff, staff_client, project, offerings, shots, rich
):
    Membership.objects.filter(user=staff).update(monthly_points_limit=30)
    first = staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, shots[:2]))
    assert first.status_code == 302  # 16 points of 30

    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), wash_form(offerings, shots))
    assert "your monthly limit is 30 and 14 are left this month" in page.content.decode()
    refused = staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, shots))
    assert refused.status_code == 400 and "ask your team&#x27;s admin to raise your limit" in refused.content.decode()
    assert Run.objects.count() == 1 and points_balance(team=rich) == 1000 - 16


def test_refunds_give_the_limit_back_and_other_members_have_their_own(
    staff, admin, staff_client, project, offerings, shots, rich
):
    Membership.objects.filter(user=staff).update(monthly_points_limit=30)
    staff_client.post(reverse("runs:submit", args=[project.pk]), wash_form(offerings, shots))  # 24 of 30
    run = Run.objects.get()
    assert member_points_left(user=staff, team=rich) == (6, 30)
    Run.objects.filter(pk=run.pk).update(points_refunded=24)
    assert member_points_left(user=staff, team=rich) == (30, 30)
    assert member_points_left(user=admin, team=rich) is None


def test_the_same_form_sent_twice_makes_one_run_and_one_charge_and_answers_with_the_first(
    staff_client, project, offerings, shots, rich
):
    page = staff_client.get(reverse("runs:compose", args=[project.pk]) + "?operation=wash").content.decode()
    token = re.search(r'name="submit_token" value="([0-9a-f]{32})"', page).group(1)
    form = wash_form(offerings, shots, submit_token=token)

    first = staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    again = staff_client.post(reverse("runs:submit", args=[project.pk]), form, follow=True)
    run = Run.objects.get()
    assert first.url == again.redirect_chain[-1][0] == reverse("runs:detail", args=[run.pk])
    assert "This job was started already, by the same form sent twice: here it is." in again.content.decode()
    assert points_balance(team=rich) == 1000 - 24

    changed = staff_client.post(reverse("runs:submit", args=[project.pk]), {**form, "param_count": "1"})
    assert Run.objects.count() == 2 and changed.url != first.url  # changed on the same page: another job


@pytest.mark.parametrize(("kind", "operation", "longest"), [("imagewash", "wash", 2000), ("hdredraw", "ai_edit", 1000)])
def test_a_prompt_longer_than_the_vendor_takes_is_refused_with_the_limit_shown_as_a_counter(
    staff_client, project, offerings, shots, rich, kind, operation, longest
):
    offering = offerings.filter(account__kind=kind, operation=operation).first()
    compose = reverse("runs:compose", args=[project.pk]) + f"?operation={operation}&offering={offering.pk}"
    page = staff_client.get(compose).content.decode()
    assert f'maxlength="{longest}"' in page and f"0 / {longest}</p>" in page
    form = {"operation": operation, "offering": offering.pk, "param_prompt": "x" * (longest + 1),
            "input_product": [shots[0].pk]}  # fmt: skip
    response = staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    assert response.status_code == 400 and f"At most {longest} characters." in response.content.decode()
    assert not Run.objects.exists() and points_balance(team=rich) == 1000


@pytest.mark.django_db(transaction=True)
def test_a_catalogue_choice_the_vendor_does_not_list_or_a_background_of_another_size_is_refused_before_charging(
    accounts, simulator, project, staff, funded, products
):
    client, submit = client_for(staff), reverse("runs:submit", args=[project.pk])
    ai_model = Offering.objects.get(account=accounts["lingtu"], operation="ai_model")
    unknown_face = {"operation": "ai_model", "offering": ai_model.pk, "param_face_id": "face_nobody",
                    "input_model": [products[0].pk]}  # fmt: skip
    response = client.post(submit, unknown_face)
    assert response.status_code == 400 and "Not in the vendor&#x27;s list any more" in response.content.decode()

    change = Offering.objects.get(account=accounts["lingtu"], operation="change_background")
    small_canvas = {"operation": "change_background", "offering": change.pk, "param_bg_id": "bg_indoor_01",
                    "param_width": "800", "param_height": "600", "input_product": [products[0].pk]}  # fmt: skip
    response = client.post(submit, small_canvas)
    page = response.content.decode()
    assert response.status_code == 400 and "This background is 1024×1024 but the canvas is 800×600" in page
    assert not Run.objects.exists() and points_balance(team=funded) == 10_000

    fitting = {**small_canvas, "param_width": "1024", "param_height": "1024"}
    assert client.post(submit, fitting).status_code == 302 and Run.objects.count() == 1


def test_the_live_estimate_refuses_what_submit_would_a_lingtu_canvas_too_wide(staff_client, project, offerings, shots):
    change = offerings.get(account__kind="lingtu", operation="change_background")
    form = {"operation": "change_background", "offering": change.pk, "param_width": "2000", "param_height": "1024",
            "param_bg_id": "", "input_product": [shots[0].pk]}  # fmt: skip
    page = staff_client.post(reverse("runs:estimate", args=[project.pk]), form).content.decode()
    assert '<div id="error-width" class="field-error" hx-swap-oob="true">Must be between 400 and 1280.</div>' in page
    assert "points</strong>" not in page  # no price for a job that cannot start


def test_text_to_image_offers_no_reference_picker_where_the_model_takes_none(staff_client, project, offerings):
    suchuang = offerings.filter(account__kind="suchuang", operation="text_to_image").first()
    url = reverse("runs:compose", args=[project.pk]) + f"?operation=text_to_image&offering={suchuang.pk}"
    page = staff_client.get(url).content.decode()
    assert "up to 0" not in page and 'data-role="reference"' not in page
    assert "This job needs no images: it starts from the prompt." in page


def test_image_to_image_shows_product_photos_in_its_picker_and_try_on_narrows_to_garments(
    staff_client, project, offerings, shots, staff
):
    for n, role in enumerate(("reference", "garment")):
        asset_ingest(project=project, upload=upload(f"{role}.png", images.distinct_png(40 + n)), role=role, user=staff)
    offering = offerings.filter(account__kind="imagetasks", operation="image_to_image").first()
    page = staff_client.get(reverse("runs:compose", args=[project.pk])
                            + f"?operation=image_to_image&offering={offering.pk}").content.decode()  # fmt: skip
    assert '<input type="checkbox" class="only-role" >' in page  # shown, not ticked: product photos stay visible
    try_on = offerings.filter(account__kind="lingtu", operation="try_on").first()
    page = staff_client.get(reverse("runs:compose", args=[project.pk])
                            + f"?operation=try_on&offering={try_on.pk}").content.decode()  # fmt: skip
    assert '<input type="checkbox" class="only-role" checked>' in page


def test_the_offering_label_shows_the_prices_it_charges_not_the_fallback(staff_client, project, offerings):
    for wash in offerings.filter(account__kind="imagewash", operation="wash"):
        wash.points = 6  # a fallback that differs from every resolution's price
        wash.save()
    page = staff_client.get(reverse("runs:compose", args=[project.pk]) + "?operation=wash").content.decode()
    assert "· 4–8 points per image" in page and "· 8–16 points per image" in page and "· 6 points" not in page


def test_lingtus_default_placement_keeps_the_products_proportions(staff_client, project, staff, offerings):
    from PIL import Image

    cut_out = images.encode(Image.new("RGBA", (800, 1000)), "PNG")
    tall = asset_ingest(project=project, upload=upload("tall.png", cut_out), user=staff).asset
    change = offerings.get(account__kind="lingtu", operation="change_background")
    query = (
        f"?operation=change_background&offering={change.pk}&input_product={tall.pk}&param_width=1024&param_height=1024"
    )

    page = staff_client.get(reverse("runs:compose", args=[project.pk]) + query).content.decode()

    placed = dict(re.findall(r'name="place_(\w+)" min="\d" value="(\d+)"', page))
    assert placed == {"x": "266", "y": "205", "width": "492", "height": "614"}  # 800:1000, not a 614×614 square
