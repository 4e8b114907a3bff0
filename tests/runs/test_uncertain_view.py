"""The run page shows uncertain jobs plainly; sending them again takes a person's explicit consent."""

import pytest
from django.urls import reverse

from studio.points.services import points_balance
from studio.runs.models import Task, TaskState
from studio.simulator.core import Fault
from tests.conftest import client_for
from tests.run_fixtures import drive
from tests.runs.vendor_plans import SUBMIT_PATHS, one_job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def uncertain_run(accounts, simulator, project, staff, funded):
    simulator.add_fault(Fault("cut_answer", vendor="imagetasks", endpoint=SUBMIT_PATHS["imagetasks"]))
    run = drive(one_job("imagetasks", accounts, project, staff))
    assert run.tasks.get().state == TaskState.UNCERTAIN
    return run


def test_the_run_page_says_what_happened_and_what_to_do(uncertain_run, staff):
    page = client_for(staff).get(reverse("runs:detail", args=[uncertain_run.pk])).content.decode()

    assert "1 job is uncertain at the vendor." in page
    assert "Uncertain at the vendor" in page  # the job's state in the table
    assert "Vendor check" in page  # where an admin looks
    assert "I accept that the vendor may charge these jobs twice." in page


def test_sending_again_needs_the_box_ticked(uncertain_run, staff, funded):
    balance = points_balance(team=funded)
    client = client_for(staff)

    response = client.post(reverse("runs:resend_uncertain", args=[uncertain_run.pk]), follow=True)

    assert "Tick the box" in response.content.decode()
    assert Task.objects.filter(run=uncertain_run).count() == 1 and points_balance(team=funded) == balance


def test_sending_again_charges_again_and_sends_a_new_task(uncertain_run, staff, funded, simulator):
    balance = points_balance(team=funded)
    url = reverse("runs:resend_uncertain", args=[uncertain_run.pk])

    response = client_for(staff).post(url, {"accept_double_charge": "yes"}, follow=True)

    assert "Sending 1 uncertain job again" in response.content.decode()
    old, new = Task.objects.filter(run=uncertain_run).order_by("index")
    assert old.retried_by == new and new.idempotency_key != old.idempotency_key
    assert points_balance(team=funded) == balance - uncertain_run.points_charged
    run = drive(uncertain_run)
    assert run.tasks.get(pk=new.pk).state == TaskState.SUCCEEDED
    page = client_for(staff).get(reverse("runs:detail", args=[run.pk])).content.decode()
    assert "uncertain at the vendor." not in page  # answered: nothing left to decide


def test_a_reviewer_cannot_send_jobs_again(uncertain_run, reviewer):
    url = reverse("runs:resend_uncertain", args=[uncertain_run.pk])
    assert client_for(reviewer).post(url, {"accept_double_charge": "yes"}).status_code == 403
    assert Task.objects.filter(run=uncertain_run).count() == 1


def test_the_notice_and_the_advice_read_in_chinese(uncertain_run, staff, settings):
    client = client_for(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("runs:detail", args=[uncertain_run.pk])).content.decode()

    assert "有 1 个任务在服务商处状态不明。" in page
    assert "工作室运营人员可以在服务商的记录中查找此任务" in page  # the advice, once never extracted for translation
    assert "服务商处状态不明" in page  # the job's state


def test_the_runs_list_counts_stored_images_and_failed_or_uncertain_jobs(
    uncertain_run, accounts, project, staff, django_assert_max_num_queries
):
    done = drive(one_job("imagetasks", accounts, project, staff, number=7))
    client = client_for(staff)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("runs:list", args=[project.pk]))

    counts = {run.pk: (run.images_stored, run.tasks_failed + run.tasks_uncertain) for run in response.context["runs"]}
    assert counts == {done.pk: (1, 0), uncertain_run.pk: (0, 1)}
    cells = [row.split("</td>")[4:6] for row in response.content.decode().split("<tr>")[2:]]
    assert [[cell.rsplit(">", 1)[-1].strip() for cell in row] for row in cells] == [["1 / 1", "0"], ["0 / 1", "1"]]
