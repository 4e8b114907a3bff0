"""Retry failed across a project: one action, priced on the runs page, all or nothing, counted at the vendor."""

import re

from django.urls import reverse

from studio.points.services import points_adjust, points_balance
from studio.runs.models import Run, RunState
from studio.runs.services import PlannedCall, PlannedInput, project_retry_preview, runs_submit
from studio.simulator.core import Fault
from studio.vendors.models import Offering
from tests.run_fixtures import drive


def failed_runs(accounts, simulator, project, staff, products):
    """Two finished runs of one project: 2 of 2 jobs failed, then 1 of 2 (the vendor failed three tasks)."""
    simulator.add_fault(Fault("fail_task", vendor="hdredraw", times=3))
    watermark = Offering.objects.get(account=accounts["hdredraw"], operation="remove_watermark")
    runs = [
        drive(runs_submit(project=project, offering=watermark, user=staff,
                          calls=[PlannedCall({}, (PlannedInput(product, "product"),)) for product in products[:2]]))
        for _ in range(2)
    ]  # fmt: skip
    return watermark, runs


def test_the_runs_page_prices_retrying_every_failure_and_one_click_sends_them_all(
    accounts, simulator, project, staff, admin, funded, products, staff_client
):
    watermark, runs = failed_runs(accounts, simulator, project, staff, products)
    assert [run.state for run in runs] == [RunState.FAILED, RunState.PARTIAL]
    created_before = simulator.ledger_summary()["hdredraw"]["created"]
    price = 3 * watermark.points
    balance = points_balance(team=funded)

    page = " ".join(staff_client.get(reverse("runs:list", args=[project.pk])).content.decode().split())
    assert "3 failed or canceled jobs in 2 finished runs can be sent again." in page
    assert f"Retry all 3 failed jobs · {price} points" in page

    response = staff_client.post(reverse("runs:project_retry", args=[project.pk]), follow=True)

    assert f"Retrying 3 jobs in 2 runs, charged {price} points again." in response.content.decode()
    assert points_balance(team=funded) == balance - price
    runs = [drive(run) for run in runs]
    assert [run.state for run in runs] == [RunState.SUCCEEDED, RunState.SUCCEEDED]
    assert simulator.ledger_summary()["hdredraw"]["created"] == created_before + 3  # each failure sent once more
    assert project_retry_preview(project=project).tasks == 0
    page = staff_client.get(reverse("runs:list", args=[project.pk])).content.decode()
    assert "can be sent again" not in page
    for run in runs:  # a retried run no longer reads "… 2 failed" nor offers to retry what was retried
        page = " ".join(staff_client.get(reverse("runs:detail", args=[run.pk])).content.decode().split())
        assert "2 done · 0 failed · 2 jobs" in page and "Retry" not in page


def test_retrying_more_than_the_wallet_holds_sends_nothing(
    accounts, simulator, project, staff, admin, funded, products, staff_client
):
    watermark, runs = failed_runs(accounts, simulator, project, staff, products)
    left = 2 * watermark.points  # enough for the first run's two failures, not for the third
    points_adjust(team=funded, amount=left - points_balance(team=funded), reason="test", user=admin, key="cut")
    created_before = simulator.ledger_summary()["hdredraw"]["created"]

    response = staff_client.post(reverse("runs:project_retry", args=[project.pk]), follow=True)

    assert re.search(r"needs \d+ points; the team has \d+", response.content.decode())
    assert points_balance(team=funded) == left
    assert [Run.objects.get(pk=run.pk).state for run in runs] == [RunState.FAILED, RunState.PARTIAL]
    assert project_retry_preview(project=project).tasks == 3
    assert simulator.ledger_summary()["hdredraw"]["created"] == created_before


def test_reviewers_see_no_retry_and_cannot_post_it(
    accounts, simulator, project, staff, funded, products, reviewer_client
):
    failed_runs(accounts, simulator, project, staff, products)
    assert "can be sent again" not in reviewer_client.get(reverse("runs:list", args=[project.pk])).content.decode()
    assert reviewer_client.post(reverse("runs:project_retry", args=[project.pk])).status_code == 403
