"""The price list: edited inline, audited, for new runs only; switched-off offerings leave the composer."""

import pytest
from django.urls import reverse

from studio.audit.models import AuditAction, AuditEvent
from studio.points.services import points_grant
from studio.runs.models import Run
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load
from tests import images
from tests.conftest import client_for
from tests.images import upload


@pytest.fixture
def catalogue(db):
    for kind in ("imagewash", "imagetasks"):
        offerings_load(account=VendorAccount.objects.create(kind=kind, name=kind, base_url="https://vendor.invalid"))
    return Offering.objects


def gpt(catalogue):
    return catalogue.get(account__kind="imagetasks", operation="text_to_image", model="gpt-image-2")


def form_for(offering, **changes):
    form = {"points": offering.points, "enabled": "1" if offering.enabled else ""}
    form.update({f"price_{key}": value for key, value in offering.price_table.items()})
    form.update(changes)
    return {name: value for name, value in form.items() if value != ""}


@pytest.mark.parametrize("who", ["staff", "reviewer", "admin"])
def test_only_operators_change_prices_and_only_they_and_team_admins_see_them(request, who, catalogue):
    client, offering = client_for(request.getfixturevalue(who)), gpt(catalogue)
    assert client.get(reverse("console:prices")).status_code == (200 if who == "admin" else 403)
    assert client.post(reverse("console:price", args=[offering.pk]), form_for(offering, points=1)).status_code == 403
    assert gpt(catalogue).points == offering.points


def test_a_team_admin_sees_prices_read_only(admin, catalogue):
    page = client_for(admin).get(reverse("console:prices")).content.decode()
    assert "Prices are set by the studio" in page and 'action="/console/prices/' not in page
    assert page.count(" disabled>") >= catalogue.count()


def test_the_list_shows_every_offering_with_its_parameter_prices(operator, catalogue):
    page = client_for(operator).get(reverse("console:prices")).content.decode()
    assert page.count('<tr id="offering-') == catalogue.count()
    assert 'name="price_2K:high"' in page and "by size_tier × quality" in page
    assert 'name="price_4k"' in page  # imagewash's resolution


def test_an_operator_changes_a_tier_price_and_the_change_is_audited(operator, catalogue):
    offering = gpt(catalogue)
    response = client_for(operator).post(
        reverse("console:price", args=[offering.pk]), form_for(offering, **{"price_2K:high": 120})
    )
    assert "Saved." in response.content.decode()
    assert gpt(catalogue).price_table["2K:high"] == 120
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == (AuditAction.PRICE_CHANGED, operator)
    assert event.details == {"price 2K:high": [100, 120]}
    assert "100 → 120" in client_for(operator).get(reverse("console:audit")).content.decode()


@pytest.mark.parametrize("bad", ["0", "-5", "abc", "100001", "", "nan", "inf", "1e999", "2.5"])
def test_a_bad_price_is_refused_with_a_message_and_nothing_changes(operator, catalogue, bad):
    offering = gpt(catalogue)
    form = {**form_for(offering), "points": bad}
    response = client_for(operator).post(reverse("console:price", args=[offering.pk]), form)
    assert "whole number of points from 1 to 100000" in response.content.decode()
    assert gpt(catalogue).points == offering.points and not AuditEvent.objects.exists()


def test_a_new_price_applies_to_new_runs_only(operator, staff, project, catalogue):
    points_grant(team=project.team, amount=10_000, reason="budget", user=operator, key="budget")
    product = [upload("shirt.png", images.distinct_png(1))]
    staff_client = client_for(staff)
    project_url = reverse("assets:upload", args=[project.pk])
    staff_client.post(project_url, {"files": product})
    wash = catalogue.get(account__kind="imagewash", operation="wash", model="nanoBanana2")
    form = {"operation": "wash", "offering": wash.pk, "param_prompt": "terrace", "param_count": "1",
            "param_resolution": "1k", "input_product": [project.assets.get().pk]}  # fmt: skip
    staff_client.post(reverse("runs:submit", args=[project.pk]), form)
    before = Run.objects.get()

    client_for(operator).post(reverse("console:price", args=[wash.pk]), form_for(wash, **{"price_1k": 40}))
    staff_client.post(reverse("runs:submit", args=[project.pk]), form)

    before.refresh_from_db()
    after = Run.objects.exclude(pk=before.pk).get()
    assert (before.points_charged, before.tasks.get().points_per_output) == (4, 4)
    assert (after.points_charged, after.tasks.get().points_per_output) == (40, 40)


def test_switching_an_offering_off_hides_it_from_the_composer_and_refuses_crafted_posts(
    operator, staff, project, catalogue
):
    points_grant(team=project.team, amount=10_000, reason="budget", user=operator, key="budget")
    offering = gpt(catalogue)
    crafted = {"operation": "text_to_image", "offering": offering.pk, "param_prompt": "cat", "param_size": "1024x1024"}
    client_for(staff).post(reverse("runs:submit", args=[project.pk]), crafted)
    assert Run.objects.count() == 1  # the same post works while the offering is on

    client_for(operator).post(reverse("console:price", args=[offering.pk]), form_for(offering, enabled=""))
    assert not gpt(catalogue).enabled
    assert AuditEvent.objects.get().details == {"enabled": [True, False]}
    composer = client_for(staff).get(reverse("runs:compose", args=[project.pk]), {"operation": "text_to_image"})
    assert f'<option value="{offering.pk}"' not in composer.content.decode()
    client_for(staff).post(reverse("runs:submit", args=[project.pk]), crafted)
    assert Run.objects.count() == 1
