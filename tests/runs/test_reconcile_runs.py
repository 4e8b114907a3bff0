"""reconcile_points' run check walks the history in batches: bounded memory, four queries a batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.runs.reconcile import run_charge_differences
from tests.run_fixtures import drive
from tests.runs.vendor_plans import one_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_difference_in_any_batch_is_found(accounts, simulator, project, staff, funded):
    runs = [drive(one_job("imagetasks", accounts, project, staff, number=n)) for n in range(3)]
    assert run_charge_differences(batch=2) == []

    runs[2].outputs.first().delete()  # an image lost after the fact, in the second batch

    assert run_charge_differences(batch=2) == [
        f"run {runs[2].pk}: charged 8 points net, but its stored outputs are worth 0"
    ]


def test_each_batch_costs_the_same_few_queries(accounts, simulator, project, staff, funded):
    for n in range(4):
        drive(one_job("imagetasks", accounts, project, staff, number=n))

    with CaptureQueriesContext(connection) as two_batches:
        run_charge_differences(batch=2)
    with CaptureQueriesContext(connection) as four_batches:
        run_charge_differences(batch=1)

    assert len(two_batches) == 2 * 4 + 1  # runs, outputs, tasks and ledger per batch, one empty page at the end
    assert len(four_batches) == 4 * 4 + 1
