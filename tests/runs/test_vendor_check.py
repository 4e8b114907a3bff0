"""reconcile_vendors and its console page: what Studio ordered against what each vendor reports."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from studio.runs.models import TaskState
from studio.simulator.core import Fault
from studio.vendors.base import SubmitRequest
from studio.vendors.operations import Operation
from tests.conftest import client_for
from tests.run_fixtures import drive
from tests.runs.vendor_plans import KINDS, SUBMIT_PATHS, one_job

pytestmark = pytest.mark.django_db(transaction=True)


def reconcile() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("reconcile_vendors", stdout=out)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


def test_runs_on_every_vendor_reconcile_clean(accounts, simulator, project, staff, funded):
    for kind in KINDS:
        drive(one_job(kind, accounts, project, staff))

    clean, output = reconcile()

    assert clean, output
    assert "sent 1, accepted 1" in output and "vendor lists 1 (30 points)" in output  # suchuang's own list


def test_a_suchuang_task_studio_does_not_know_is_an_orphan(accounts, simulator, project, staff, funded, operator):
    drive(one_job("suchuang", accounts, project, staff))
    adapter = accounts["suchuang"].adapter()
    stray = adapter.submit(SubmitRequest(Operation.TEXT_TO_IMAGE, "sc_soraimg_text_1x1", {"prompt": "made elsewhere"}))

    clean, output = reconcile()

    assert not clean and f"ORPHAN vendor task {stray.vendor_task_id}" in output
    page = client_for(operator).get(reverse("console:vendor_check")).content.decode()
    assert stray.vendor_task_id in page and "Unknown to Studio" in page


def test_uncertain_tasks_are_listed_with_where_to_look(accounts, simulator, project, staff, funded, operator, settings):
    simulator.add_fault(Fault("cut_answer", vendor="imagewash", endpoint=SUBMIT_PATHS["imagewash"]))
    run = drive(one_job("imagewash", accounts, project, staff))
    assert run.tasks.get().state == TaskState.UNCERTAIN

    clean, output = reconcile()

    assert not clean and f"UNCERTAIN run {run.pk} job 1" in output
    page = client_for(operator).get(reverse("console:vendor_check")).content.decode()
    assert reverse("runs:detail", args=[run.pk]) in page and "1 thing to look into" in page


def test_hdredraw_package_runs_used_without_a_task_of_ours_are_counted(accounts, simulator, project, staff, funded):
    drive(one_job("hdredraw", accounts, project, staff, number=1))
    product = one_job("hdredraw", accounts, project, staff, number=2)  # its input, sent once outside Studio too
    from studio.runs.worker import _request

    accounts["hdredraw"].adapter().submit(_request(product.tasks.get()))
    drive(product)

    clean, output = reconcile()

    assert not clean and "remaining_count fell by 1 more than the tasks accepted" in output


def test_a_charge_for_a_task_done_at_the_vendor_but_without_images_is_listed(
    accounts, simulator, project, staff, funded
):
    simulator.add_fault(Fault("expired_results", times=5))
    run = drive(one_job("imagewash", accounts, project, staff))
    assert run.tasks.get().state == TaskState.FAILED

    clean, output = reconcile()

    assert not clean and f"CHARGED WITHOUT OUTPUT run {run.pk} job 1" in output


def test_a_vendor_failure_it_refunded_is_not_a_charge_without_images(accounts, simulator, project, staff, funded):
    simulator.add_fault(Fault("fail_task", vendor="imagewash"))
    drive(one_job("imagewash", accounts, project, staff))

    clean, output = reconcile()

    assert clean, output


def test_only_operators_open_the_vendor_check(staff, reviewer, admin, operator):
    url = reverse("console:vendor_check")
    assert client_for(staff).get(url).status_code == 403
    assert client_for(reviewer).get(url).status_code == 403
    assert client_for(admin).get(url).status_code == 403  # other teams' tasks and the vendor's errors
    assert client_for(operator).get(url).status_code == 200
    assert client_for(None).get(url).status_code == 302
