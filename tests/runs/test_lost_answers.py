"""A submit whose answer is lost or untrustworthy never becomes a second paid task at the vendor.

Each test counts what the simulated vendor created and charged (its ledger), not only Studio's states:
lingtu is sent the same requestId again, suchuang's lost task is found in its task list and adopted, and
the other vendors stop as "uncertain", refunded, with nothing sent twice.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from studio.points.services import points_balance
from studio.runs.models import RunState, TaskState
from studio.runs.worker import _answer_lost
from studio.simulator.core import Fault
from studio.vendors.base import ErrorClass, Outcome, VendorError
from tests.run_fixtures import drive
from tests.runs.vendor_plans import KINDS, SUBMIT_PATHS, one_job

pytestmark = pytest.mark.django_db(transaction=True)

RECOVERED = {"lingtu", "suchuang"}  # the vendors that can recover a lost answer by their own means
# Faults after which the vendor HAS made the task, but Studio never got a usable answer.
ANSWER_LOST = {
    "cut, connection reset": Fault("cut_answer", mode="reset"),
    "cut, truncated body": Fault("cut_answer", mode="truncated"),
    "slower than our read timeout": Fault("slow_answer", seconds=1.0),
    "502 from a gateway, processed": Fault("gateway_error", status=502),
    "504 from a gateway, processed": Fault("gateway_error", status=504),
    "unparsable body": Fault("malformed_json"),
}
# Faults after which the vendor has NOT made the task, though Studio cannot know it.
NOTHING_MADE_BUT_UNKNOWN = {
    "502 from a gateway, not processed": Fault("gateway_error", status=502, processed=False),
    "500 sent by the vendor": Fault("server_error", status=500),
    "internal error as HTTP 200": Fault("error_200", status=500),
}
# Answers that surely mean "no task made, try later": sent again as they are.
BUSY = {
    "429": Fault("rate_limit"),
    "busy as HTTP 200": Fault("error_200", status=429),
    "503": Fault("server_error", status=503),
}


@pytest.fixture(autouse=True)
def short_waits(settings):
    settings.VENDOR_READ_TIMEOUT_SECONDS = 0.5
    settings.LOST_TASK_SEARCH_SECONDS = 2


def _aimed(fault: Fault, kind: str) -> Fault:
    return Fault(**{**fault.__dict__, "vendor": kind, "endpoint": SUBMIT_PATHS[kind], "times": 1})


def _created(simulator, kind: str) -> int:
    return simulator.ledger_summary()[kind]["created"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", ANSWER_LOST.values(), ids=ANSWER_LOST.keys())
def test_a_lost_answer_never_makes_a_second_vendor_task(kind, fault, accounts, simulator, project, staff, funded):
    simulator.add_fault(_aimed(fault, kind))
    run = drive(one_job(kind, accounts, project, staff), timeout=30)

    task = run.tasks.get()
    assert _created(simulator, kind) == 1  # the vendor made it once, and was never asked again
    assert simulator.faults == []
    if kind in RECOVERED:
        assert run.state == RunState.SUCCEEDED and task.state == TaskState.SUCCEEDED
        assert bool(task.submitted_details.get("adopted")) == (kind == "suchuang")
        assert run.points_refunded == 0
    else:
        assert task.state == TaskState.UNCERTAIN and run.state == RunState.FAILED
        assert "answer was lost" in task.error_message and "not sent again" in task.error_message
        assert run.points_refunded == run.points_charged  # the team pays nothing for an unknown outcome
    assert points_balance(team=funded) == 10_000 - (run.points_charged - run.points_refunded)
    call_command("reconcile_points")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", NOTHING_MADE_BUT_UNKNOWN.values(), ids=NOTHING_MADE_BUT_UNKNOWN.keys())
def test_an_untrustworthy_error_is_not_sent_again_blindly(kind, fault, accounts, simulator, project, staff, funded):
    simulator.add_fault(_aimed(fault, kind))
    run = drive(one_job(kind, accounts, project, staff), timeout=30)

    task = run.tasks.get()
    if kind == "lingtu":  # the same requestId again: at most one job, whatever happened to the first send
        assert task.state == TaskState.SUCCEEDED and _created(simulator, kind) == 1
    else:  # suchuang's list shows no such task; the others cannot tell: nothing is sent again
        assert task.state == TaskState.UNCERTAIN and _created(simulator, kind) == 0
        assert run.points_refunded == run.points_charged


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", BUSY.values(), ids=BUSY.keys())
def test_a_busy_vendor_is_asked_again_and_makes_one_task(kind, fault, accounts, simulator, project, staff, funded):
    simulator.add_fault(_aimed(fault, kind))
    run = drive(one_job(kind, accounts, project, staff), timeout=40)

    assert run.state == RunState.SUCCEEDED, list(run.tasks.values("state", "error_message"))
    assert _created(simulator, kind) == 1


def test_a_connection_that_never_opened_is_sent_again(accounts, simulator, project, staff, funded, monkeypatch):
    """Not sent: nothing can exist at the vendor, so even a vendor without any recovery just tries again."""
    from studio.vendors.http import VendorHttp

    real_send, refused = VendorHttp._send, []

    def refuse_first_connection(self, method, url, **kwargs):
        if not refused:
            refused.append(url)
            return real_send(self, method, "http://127.0.0.1:9/unreachable", **kwargs)
        return real_send(self, method, url, **kwargs)

    monkeypatch.setattr(VendorHttp, "_send", refuse_first_connection)
    run = drive(one_job("imagetasks", accounts, project, staff), timeout=30)

    assert refused and run.state == RunState.SUCCEEDED and _created(simulator, "imagetasks") == 1


def test_a_faulty_task_list_is_asked_again_before_a_lost_task_is_given_up(
    accounts, simulator, project, staff, funded, settings
):
    settings.LOST_TASK_SEARCH_SECONDS = 0  # "not found" would stop at once; a broken list answer must not
    simulator.add_fault(_aimed(Fault("cut_answer"), "suchuang"))
    simulator.add_fault(Fault("server_error", vendor="suchuang", endpoint="/tasks/list", times=2))

    run = drive(one_job("suchuang", accounts, project, staff), timeout=30)

    assert run.state == RunState.SUCCEEDED and run.tasks.get().submitted_details.get("adopted")
    assert _created(simulator, "suchuang") == 1 and simulator.faults == []


@pytest.mark.parametrize(("sent_seconds_ago", "expected"), [(5, TaskState.PENDING), (10_000, TaskState.UNCERTAIN)])
def test_lingtu_resends_a_lost_answer_until_the_deadline(sent_seconds_ago, expected, accounts, project, staff, funded):
    """Resending the same requestId is free, so ten lost answers in a row are no reason to stop: only the
    task's deadline is (stopping early leaves a paid vendor task nobody collects)."""
    task = one_job("lingtu", accounts, project, staff).tasks.get()
    task.state, task.attempts = TaskState.SUBMITTING, 10
    task.sent_at = timezone.now() - timedelta(seconds=sent_seconds_ago)
    task.save()
    assert task.account.task_deadline < 10_000

    _answer_lost(task, VendorError(ErrorClass.TRANSIENT, "read timed out", outcome=Outcome.UNKNOWN))

    task.refresh_from_db()
    assert task.state == expected
    if expected == TaskState.PENDING:
        assert 8 <= (task.next_action_at - timezone.now()).total_seconds() <= 32  # backed off, but not forever
