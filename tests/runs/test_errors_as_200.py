"""Vendors that send every error with HTTP 200 and a code in the body: Test connection still tells a working
key from a wrong one, and runs still end as they should, for every vendor."""

import pytest

from studio.runs.models import RunState
from studio.simulator.core import Fault
from studio.vendors.services import CheckOutcome, account_check_connection
from tests.run_fixtures import drive
from tests.runs.vendor_plans import KINDS, SUBMIT_PATHS, one_job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def errors_as_200(simulator):
    simulator.errors_as_200 = set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_test_connection_tells_a_working_key_from_a_wrong_one(kind, accounts):
    account = accounts[kind]
    assert account_check_connection(account=account)["outcome"] == CheckOutcome.WORKS

    account.set_credentials({name: "wrong" for name in account.credentials})
    account.save()

    assert account_check_connection(account=account)["outcome"] == CheckOutcome.WRONG_KEY


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_succeeds_and_a_vendor_failure_is_refunded(kind, accounts, simulator, project, staff, funded):
    assert drive(one_job(kind, accounts, project, staff, number=1)).state == RunState.SUCCEEDED

    simulator.add_fault(Fault("rate_limit", vendor=kind, endpoint=SUBMIT_PATHS[kind]))  # busy, said with 200
    simulator.add_fault(Fault("fail_task", vendor=kind))
    failed = drive(one_job(kind, accounts, project, staff, number=2), timeout=40)

    assert failed.state == RunState.FAILED and failed.points_refunded == failed.points_charged
    assert simulator.ledger_summary()[kind]["created"] == 2  # the busy answer made no second task
