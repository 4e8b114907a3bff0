"""Many people starting jobs at once against a small balance: the wallet is never overdrawn."""

import threading

import pytest
from django.db import connection

from studio.assets.ingest import asset_ingest
from studio.points.reconcile import wallet_differences
from studio.points.services import InsufficientPoints, points_balance, points_grant
from studio.runs.models import Run
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load
from tests import images
from tests.images import upload

SUBMITTERS = 8


@pytest.mark.django_db(transaction=True)
def test_parallel_submits_against_a_small_balance_never_overdraw_it(team, project, staff, admin, monkeypatch):
    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid")
    offerings_load(account=account)
    upscale = Offering.objects.get(account=account, operation="upscale")  # 30 points per image
    product = asset_ingest(project=project, upload=upload("p.png", images.distinct_png(1)), user=staff).asset
    points_grant(team=team, amount=100, reason="small budget", user=admin, key="budget")
    start = threading.Barrier(SUBMITTERS)
    outcome = {"started": 0, "refused": 0, "errors": []}

    def submit():
        try:
            start.wait()
            runs_submit(project=project, offering=upscale, user=staff,
                        calls=[PlannedCall({}, (PlannedInput(product, "product"),))])  # fmt: skip
            outcome["started"] += 1
        except InsufficientPoints:
            outcome["refused"] += 1
        except Exception as error:  # "database is locked" and the like must fail the test
            outcome["errors"].append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcome["errors"] == []
    assert (outcome["started"], outcome["refused"]) == (3, 5)
    assert Run.objects.count() == 3  # the refused ones left nothing behind
    assert points_balance(team=team) == 10
    assert wallet_differences() == []


@pytest.mark.django_db(transaction=True)
def test_one_form_sent_many_times_at_once_makes_one_run_and_one_charge(team, project, staff, admin):
    from studio.runs.services import AlreadySubmitted

    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid")
    offerings_load(account=account)
    upscale = Offering.objects.get(account=account, operation="upscale")
    product = asset_ingest(project=project, upload=upload("p.png", images.distinct_png(1)), user=staff).asset
    points_grant(team=team, amount=1000, reason="budget", user=admin, key="budget")
    start = threading.Barrier(SUBMITTERS)
    runs, errors = [], []

    def submit():
        try:
            start.wait()
            runs.append(runs_submit(project=project, offering=upscale, user=staff, submit_key="a" * 32 + ":form",
                                    calls=[PlannedCall({}, (PlannedInput(product, "product"),))]).pk)  # fmt: skip
        except AlreadySubmitted as sent:
            runs.append(sent.run.pk)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == [] and len(runs) == SUBMITTERS and len(set(runs)) == 1
    assert Run.objects.count() == 1 and points_balance(team=team) == 1000 - 30
    assert wallet_differences() == []
