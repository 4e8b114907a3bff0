"""The run engine's claims: vendor slots honoured, no task handed out twice, claims renewed and given back."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.runs import engine
from studio.runs.engine import claim_due_tasks, claims_in_hand, release_claims, release_slot, renew_claims
from studio.runs.models import Task, TaskState
from studio.vendors.models import VendorAccount


def waiting_jobs(project, staff, *, slots: int, jobs: int, account_name: str = "hd"):
    """`jobs` upscales waiting for an hdredraw account with `slots` tasks in flight at most."""
    from studio.assets.ingest import asset_ingest
    from studio.points.services import points_grant
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit
    from studio.vendors.models import Offering
    from studio.vendors.services import offerings_load
    from tests import images
    from tests.images import upload

    account = VendorAccount.objects.create(kind="hdredraw", name=account_name, base_url="https://vendor.invalid",
                                           max_concurrent_tasks=slots)  # fmt: skip
    offerings_load(account=account)
    points_grant(team=project.team, amount=100_000, reason="budget", user=staff, key=f"budget-{account_name}")
    products = [asset_ingest(project=project, upload=upload(f"{account_name}{n}.png", images.distinct_png(n)),
                             user=staff).asset for n in range(jobs)]  # fmt: skip
    offering = Offering.objects.get(account=account, operation="upscale")
    calls = [PlannedCall({}, (PlannedInput(product, "product"),)) for product in products]
    return runs_submit(project=project, offering=offering, user=staff, calls=calls)


def slots_in_use(run) -> int:
    return VendorAccount.objects.get(pk=run.tasks.first().account_id).slots_in_use


def test_waiting_jobs_are_claimed_only_up_to_the_vendor_accounts_free_slots(db, project, staff):
    run = waiting_jobs(project, staff, slots=2, jobs=5)

    assert len(claim_due_tasks(owner="a")) == 2
    assert claim_due_tasks(owner="b") == []  # the two claimed ones fill the account until they are done
    assert slots_in_use(run) == 2 == run.tasks.filter(holds_slot=True).count()


def test_a_slot_is_given_back_once_when_its_task_ends_or_waits_again(db, project, staff):
    run = waiting_jobs(project, staff, slots=1, jobs=3)
    [(task_id, _token)] = claim_due_tasks(owner="a")
    task = Task.objects.get(pk=task_id)

    release_slot(task)
    release_slot(task)  # a second give-back (a step that lost its claim, say) changes nothing

    assert slots_in_use(run) == 0 and not Task.objects.get(pk=task_id).holds_slot
    assert len(claim_due_tasks(owner="a")) == 1  # the next waiting job takes the slot


def test_waiting_jobs_of_a_full_account_never_starve_the_polls_that_free_it(db, project, staff):
    """Hundreds of waiting jobs come first in due order; the one at the vendor must still be polled."""
    run = waiting_jobs(project, staff, slots=1, jobs=30)
    [(running_id, _token)] = claim_due_tasks(owner="a")
    Task.objects.filter(pk=running_id).update(
        state=TaskState.RUNNING, next_action_at=timezone.now(), claimed_until=None, claim_token="", claimed_by=""
    )

    assert [task_id for task_id, _token in claim_due_tasks(limit=1, owner="b")] == [running_id]
    assert slots_in_use(run) == 1


def test_claims_from_many_processes_at_once_never_share_a_task_or_overfill_a_slot(transactional_db, project, staff):
    run = waiting_jobs(project, staff, slots=7, jobs=40)
    other = waiting_jobs(project, staff, slots=5, jobs=40, account_name="hd2")
    got: dict[str, list[int]] = {}

    def claimer(owner: str):
        try:
            got[owner] = []
            for _ in range(10):
                got[owner] += [task_id for task_id, _token in claim_due_tasks(limit=3, owner=owner)]
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(f"p{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    claimed = [task_id for ids in got.values() for task_id in ids]
    assert len(claimed) == len(set(claimed)) == 12  # every free slot filled once, nothing twice
    assert slots_in_use(run) == 7 and slots_in_use(other) == 5
    assert sum(claims_in_hand(owner) for owner in got) == 12


def test_a_dead_processes_claims_run_out_and_are_taken_over(db, project, staff, settings):
    run = waiting_jobs(project, staff, slots=3, jobs=3)
    dead = claim_due_tasks(owner="dead")
    run.tasks.update(state=TaskState.RUNNING)

    assert claim_due_tasks(owner="alive") == []  # the claims still run
    run.tasks.update(claimed_until=timezone.now() - timedelta(seconds=1))  # nobody renewed them

    taken = claim_due_tasks(owner="alive")
    assert sorted(task_id for task_id, _ in taken) == sorted(task_id for task_id, _ in dead)
    assert claims_in_hand("alive") == 3 and claims_in_hand("dead") == 0
    assert slots_in_use(run) == 3  # taking over a task does not take a second slot


def test_the_heartbeat_renews_only_its_running_steps_and_a_stop_gives_back_all_but_them(db, project, staff, settings):
    run = waiting_jobs(project, staff, slots=4, jobs=4)
    mine = claim_due_tasks(limit=3, owner="me")
    claim_due_tasks(limit=1, owner="someone else")
    run.tasks.update(claimed_until=timezone.now() + timedelta(seconds=1))
    running = mine[0][0]

    assert renew_claims("me", {running}) == 1
    renewed = run.tasks.get(pk=running).claimed_until
    assert renewed > timezone.now() + timedelta(seconds=settings.TASK_CLAIM_SECONDS - 2)

    assert release_claims("me", keep={running}) == 2
    assert list(run.tasks.filter(claimed_by="me").values_list("pk", flat=True)) == [running]
    assert claims_in_hand("someone else") == 1


def test_a_queued_step_that_never_comes_does_not_hold_its_task(db, project, staff):
    """Its batch was lost with another machine's cluster: unrenewed, the claim runs out and no longer counts."""
    run = waiting_jobs(project, staff, slots=2, jobs=2)
    claim_due_tasks(owner="me")
    assert claims_in_hand("me") == 2
    run.tasks.update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert claims_in_hand("me") == 0 and len(claim_due_tasks(owner="another")) == 2


def test_a_step_whose_claim_was_given_back_does_nothing(db, project, staff):
    from studio.runs.worker import task_step

    run = waiting_jobs(project, staff, slots=1, jobs=1)
    [(task_id, token)] = claim_due_tasks(owner="me")
    release_claims("me")

    task_step(task_id, token)

    assert run.tasks.get().state == TaskState.PENDING and run.tasks.get().attempts == 0


def test_a_claim_reads_neither_history_nor_runs_and_its_queries_do_not_grow_with_the_batch(db, project, staff):
    waiting_jobs(project, staff, slots=40, jobs=40)

    def queries_for(limit: int) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert len(claim_due_tasks(limit=limit, owner=f"batch-{limit}")) == limit
        return [query["sql"] for query in queries]

    few, many = queries_for(2), queries_for(20)
    assert len(few) == len(many) <= 12
    assert not any("runs_run" in sql for sql in few + many)


def test_a_claimer_tick_enqueues_one_batch_through_the_process_broker(db, project, staff, monkeypatch, settings):
    import django_q.brokers

    from studio.core import broker

    made, enqueued = [], []
    real_get_broker = django_q.brokers.get_broker
    monkeypatch.setattr(broker, "get_broker", lambda: made.append(1) or real_get_broker())
    monkeypatch.setattr(broker, "_BROKERS", {})
    monkeypatch.setattr(engine, "async_task", lambda func, claims, **kwargs: enqueued.append((claims, kwargs)))
    waiting_jobs(project, staff, slots=20, jobs=12)

    assert engine.claim_and_enqueue("me", 10) == 10
    assert engine.claim_and_enqueue("me", 10) == 2  # all that is left
    assert engine.claim_and_enqueue("me", 10) == 0

    assert [len(claims) for claims, _ in enqueued] == [10, 2]
    assert len({id(kwargs["broker"]) for _, kwargs in enqueued}) == 1 and len(made) == 1


@pytest.mark.django_db(transaction=True)
def test_run_steps_takes_a_batch_in_one_query_runs_it_side_by_side_and_nothing_once_stopping(
    project, staff, monkeypatch
):
    started = []
    monkeypatch.setattr("studio.runs.worker.run_started_step", lambda task: started.append(task.pk))
    waiting_jobs(project, staff, slots=4, jobs=4)
    first, second = claim_due_tasks(limit=3, owner="claimer"), claim_due_tasks(limit=1, owner="claimer")

    with CaptureQueriesContext(connection) as queries:
        engine.run_steps(first)
    _wait_for(lambda: not engine._process().running)
    engine._process().stopping.set()
    try:
        engine.run_steps(second)
    finally:
        engine._process().stopping.clear()

    assert sorted(started) == sorted(task_id for task_id, _ in first)
    assert len(queries) == 2  # the claims taken over by this process, then the tasks read
    assert claims_in_hand(engine.process_owner()) == 3 and claims_in_hand("claimer") == 1


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_run_steps_hands_back_the_worker_once_a_step_thread_is_free_not_when_its_slowest_step_ends(
    project, staff, monkeypatch, settings
):
    """So the worker takes the next batch while this one's slow steps finish, and never more than it can run."""
    settings.ENGINE_STEP_THREADS = 2
    monkeypatch.setattr(engine, "_STATE", None)
    may_end = {}
    monkeypatch.setattr("studio.runs.worker.run_started_step", lambda task: may_end[task.pk].wait(10))
    waiting_jobs(project, staff, slots=3, jobs=3)
    claims = claim_due_tasks(limit=3, owner="claimer")
    may_end.update({task_id: threading.Event() for task_id, _ in claims})
    batch = threading.Thread(target=engine.run_steps, args=(claims,))
    try:
        batch.start()
        _wait_for(lambda: len(engine._process().running) == 3)
        first, second, third = (may_end[task_id] for task_id, _ in claims)
        first.set()
        _wait_for(lambda: len(engine._process().running) == 2)
        time.sleep(0.2)
        assert batch.is_alive()  # both threads busy: no room for another batch yet
        second.set()
        batch.join(timeout=5)
        assert not batch.is_alive() and len(engine._process().running) == 1  # its slowest step runs on
    finally:
        for event in may_end.values():
            event.set()
        _wait_for(lambda: not engine._process().running)


def test_a_stop_renews_the_claims_of_its_running_steps_until_they_end_then_gives_back_every_claim(
    transactional_db, project, staff, settings
):
    settings.TASK_CLAIM_SECONDS = 1
    waiting_jobs(project, staff, slots=3, jobs=3)
    me, state = engine.process_owner(), engine._process()
    running = claim_due_tasks(owner=me)[0][0]
    state.running.add(running)
    stopping = threading.Thread(target=engine.stop, kwargs={"grace": 10})
    try:
        stopping.start()
        time.sleep(1.5)  # longer than a claim: a step still running must not be taken over meanwhile
        assert claims_in_hand(me) == 1 and Task.objects.get(pk=running).claimed_until > timezone.now()
        assert stopping.is_alive()

        state.running.discard(running)
        stopping.join(timeout=5)
        assert not stopping.is_alive() and not Task.objects.filter(claimed_by=me).exists()
    finally:
        state.running.clear()
        state.stopping.clear()


def test_a_worker_asked_to_stop_exits_even_when_stopping_fails(monkeypatch):
    exits = []
    monkeypatch.setattr(engine, "stop", lambda: 1 / 0)
    monkeypatch.setattr(engine.os, "_exit", exits.append)

    engine._on_sigterm(15, None)
    deadline = time.monotonic() + 5
    while not exits and time.monotonic() < deadline:
        time.sleep(0.01)

    assert exits == [0]


def test_a_polls_vendor_balance_is_written_every_few_seconds_and_a_sends_every_time(db, project, staff, monkeypatch):
    """One write per poll would make the account row the busiest in the database (claimers skip it when locked)."""
    from types import SimpleNamespace

    from studio.runs import worker
    from studio.vendors.base import Balance

    monkeypatch.setattr(worker, "_balance_noted_at", {})
    task = waiting_jobs(project, staff, slots=1, jobs=1).tasks.get()
    noted = lambda: VendorAccount.objects.get(pk=task.account_id).vendor_balance  # noqa: E731
    answer = lambda left: SimpleNamespace(balance=Balance(remaining_count=left))  # noqa: E731

    worker._note_vendor_balance(task, answer(9), throttled=True)
    worker._note_vendor_balance(task, answer(8), throttled=True)
    assert noted() == {"remaining_count": 9}
    worker._note_vendor_balance(task, answer(7))  # a send's: the vendor check compares counts around sends
    assert noted() == {"remaining_count": 7}
    monkeypatch.setattr(worker, "BALANCE_NOTE_SECONDS", 0.0)
    worker._note_vendor_balance(task, answer(6), throttled=True)
    assert noted() == {"remaining_count": 6}
