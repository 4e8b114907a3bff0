"""Vendors misbehaving at seeded random rates, over hundreds of tasks: every run ends, no vendor task is
paid twice, the points and the vendor check agree, and every uncertain task is shown with what to do."""

import pytest

from studio.benchmarks.faults import KINDS, run_scenario, scenarios
from studio.runs.models import Task, TaskState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick(settings, simulator):
    settings.VENDOR_READ_TIMEOUT_SECONDS = 0.5
    settings.LOST_TASK_SEARCH_SECONDS = 2
    simulator.latency = 0.2
    simulator.reseed(20261130)


def _check(outcome, *, tasks_per_vendor):
    assert outcome.unfinished == 0
    assert outcome.points_differences == []
    for row in outcome.rows:
        assert row.studio_tasks == tasks_per_vendor
        assert row.extra_paid == 0, row  # no vendor task beyond one per Studio task
        assert row.vendor_created <= row.sent
        if row.vendor == "lingtu":
            assert row.orphans == 0, row  # the same requestId: every lost answer is recovered
        assert row.orphans <= row.uncertain, row  # a vendor task Studio lost track of is one it shows as uncertain
    assert not any(outcome.vendor_problems.values()), outcome.vendor_problems
    for task in Task.objects.filter(state=TaskState.UNCERTAIN):
        assert "answer was lost" in task.error_message and "not sent again" in task.error_message


@pytest.mark.parametrize("name", ["cut answers 25%", "slow answers 25%"])
def test_lost_answers_at_25_percent_on_every_vendor(name, simulator, accounts, project, staff, funded):
    outcome = run_scenario(
        name, scenarios(0.5)[name], simulator=simulator, accounts=accounts, project=project, user=staff,
        tasks_per_vendor=12, timeout=240,
    )  # fmt: skip
    _check(outcome, tasks_per_vendor=12)
    lost = sum(row.adopted + row.uncertain for row in outcome.rows)
    assert lost >= 5  # the faults really met the submits (about a quarter of 60)


def test_a_fault_storm_over_200_tasks(simulator, accounts, project, staff, funded):
    outcome = run_scenario(
        "storm", scenarios(0.5)["storm"], simulator=simulator, accounts=accounts, project=project, user=staff,
        tasks_per_vendor=40, timeout=480,
    )  # fmt: skip
    _check(outcome, tasks_per_vendor=40)
    assert sum(row.studio_tasks for row in outcome.rows) == 40 * len(KINDS)
    assert sum(row.failed for row in outcome.rows) >= 5  # the vendors' own failures happened, and were refunded
