"""The worker's steps for one task: submit → poll → collect, each resumable from the stored state.

`task_step(task_id, token)` is one step of one task; the run engine (studio/runs/engine.py) claims
due tasks and runs their steps. A step records what it is about to do before calling the vendor and
what the vendor said after, so a worker killed at any moment leaves a state to resume from:

- PENDING: not sent yet → submit.
- SUBMITTING found with an expired claim: the worker died during the call, so the vendor may or may
  not have the task. That is the same as a submit whose answer was lost (see `_answer_lost`).
- RECOVERING: a lost submit is being looked for in the vendor's task list (suchuang).
- RUNNING → poll at the account's interval until the vendor is done, or the deadline passes.
- COLLECTING → download every result at once, store, thumbnail; already stored files are kept.

Never pay twice: a submit is sent again as it is only when the vendor surely made no task (not sent,
or refused because busy). When the answer was lost, the vendor's own means recover the task: lingtu
gets the same requestId again, suchuang's task list is searched; elsewhere the task stops as
UNCERTAIN, refunded, until a person chooses to send it again.
"""

import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.assets.models import Asset
from studio.points.models import EntryKind, LedgerEntry
from studio.points.services import points_refund
from studio.runs.engine import UNCLAIMED, process_owner, release_slot
from studio.runs.models import (
    TASK_COUNTERS,
    TERMINAL_TASK_STATES,
    UNCERTAIN,
    OutputKind,
    Run,
    RunState,
    Task,
    TaskState,
)
from studio.runs.outputs import UnusableFile, output_store
from studio.runs.retry import MAX_ATTEMPTS, retry_delay
from studio.vendors.base import (
    ErrorClass,
    FileKind,
    LostTaskRecovery,
    NotSupported,
    Outcome,
    SubmitRequest,
    VendorError,
)
from studio.vendors.inputs import input_image
from studio.vendors.services import account_record_balance

logger = logging.getLogger(__name__)

MAIN_INPUT_ROLES = ("product", "model", "reference")  # what an output is "made from", for review side by side
DOWNLOAD_THREADS = 4
UNEXPECTED_ERROR_PAUSE = 30


def task_step(task_id: int, claim_token: str = "") -> None:
    """One step of one task, if this step still holds the task's claim (a stale queued step does nothing)."""
    tasks = start_steps([task_id], claim_token)
    if tasks:
        run_started_step(tasks[0])


def start_steps(task_ids: list[int], claim_token: str) -> list[Task]:
    """The tasks of `task_ids` whose claim this token still holds, now held by this process (engine.py's
    heartbeat renews them from here on, whichever process claimed them)."""
    claimed_until = timezone.now() + timedelta(seconds=settings.TASK_CLAIM_SECONDS)
    owner = process_owner()
    if not Task.objects.filter(pk__in=task_ids, claim_token=claim_token).update(
        claimed_until=claimed_until, claimed_by=owner
    ):
        return []
    started = Task.objects.select_related("run", "account").filter(
        pk__in=task_ids, claim_token=claim_token, claimed_by=owner
    )
    return list(started.order_by())


def run_started_step(task: Task) -> None:
    mine = Task.objects.filter(pk=task.pk, claim_token=task.claim_token)  # before a step gives the claim back
    if task.is_finished:
        mine.update(**UNCLAIMED)
        return
    try:
        STEPS[task.state](task)
    except Exception:
        # A bug or a database hiccup: try the same step again later rather than at once, forever.
        logger.exception("task %s: step %s failed", task.pk, task.state)
        mine.update(next_action_at=timezone.now() + timedelta(seconds=UNEXPECTED_ERROR_PAUSE))
        raise
    finally:
        if not getattr(task, "claim_given_back", False):
            mine.update(**UNCLAIMED)


# Submit --------------------------------------------------------------------------------------------


def _submit(task: Task) -> None:
    if task.run.cancel_requested_at:
        return _finish(task, TaskState.CANCELED, message=_("Canceled before it was sent."))
    _mark_run_running(task.run)
    adapter = task.account.adapter()
    request = _request(task)
    now = timezone.now()
    task.state = TaskState.SUBMITTING
    task.attempts += 1
    task.sent_at = task.sent_at or now
    # What is sent is kept before it is sent: a resend to a de-duplicating vendor must carry the same
    # input URLs, and hdredraw's package count before the call tells later whether a lost call was charged.
    task.submitted_details = {
        "input_urls": {
            image.url: item["asset"] for image, item in zip(request.inputs, task.request["inputs"], strict=True)
        },
        "balance_before": task.account.vendor_balance or None,
        "last_sent_at": now.isoformat(),  # a task this send made was made after this moment
    }
    task.save(update_fields=["state", "attempts", "sent_at", "submitted_details", "updated_at"])
    try:
        answer = adapter.submit(request)
    except VendorError as error:
        if error.outcome == Outcome.UNKNOWN:
            return _answer_lost(task, error)
        return _after_error(task, error, retry_state=TaskState.PENDING)
    _accepted(task, answer)


def _accepted(task: Task, answer, *, adopted: bool = False) -> None:
    """The vendor has the task: from now on it is only polled, never sent again."""
    _note_vendor_balance(task, answer)
    now = timezone.now()
    task.vendor_task_id = answer.vendor_task_id
    task.submitted_details = {**task.submitted_details, **_jsonable(answer.details), "cost": answer.cost}
    if answer.balance is not None:  # hdredraw: with balance_before, whether this call used up a package run
        task.submitted_details["balance_after"] = {k: v for k, v in asdict(answer.balance).items() if v is not None}
    if adopted:
        task.submitted_details["adopted"] = True
    elif task.account.adapter_type.lost_task_recovery == LostTaskRecovery.TASK_LIST:
        _undo_wrong_adoption(task, answer.vendor_task_id)
    task.raw_response = _jsonable(answer.raw)
    task.submitted_at = now
    task.deadline_at = now + timedelta(seconds=task.account.task_deadline)
    task.error_class = task.error_message = ""
    if answer.status.is_terminal:
        return _start_collecting(task, answer)
    task.state = TaskState.RUNNING
    task.attempts = 0
    task.next_action_at = now + timedelta(seconds=task.account.poll_interval)
    task.save()


def _undo_wrong_adoption(task: Task, vendor_task_id: str) -> None:
    """The vendor's own answer names a task another lost task took for its own (they looked alike, and
    this one's answer was slow): that one looks again."""
    taken = Task.objects.filter(
        account=task.account, vendor_task_id=vendor_task_id, submitted_details__adopted=True,
        state__in=[TaskState.RUNNING, TaskState.COLLECTING],
    ).exclude(pk=task.pk)  # fmt: skip
    taken.update(state=TaskState.RECOVERING, vendor_task_id="", next_action_at=timezone.now())


def _recover_submitting(task: Task) -> None:
    """The worker died while sending: the vendor may or may not have the task."""
    lost = VendorError(ErrorClass.TRANSIENT, _("The worker stopped while sending this task."), outcome=Outcome.UNKNOWN)
    _answer_lost(task, lost)


def _answer_lost(task: Task, error: VendorError) -> None:
    """Sent, but no trustworthy answer came back: recover the task by the vendor's own means, or stop."""
    recovery = task.account.adapter().lost_task_recovery
    task.error_class = UNCERTAIN
    task.error_message = error.message
    if recovery == LostTaskRecovery.RESEND:
        # The same requestId gives the same task, so sending again is free: it goes on until the task's
        # deadline, not for a few attempts only; giving up early would leave a vendor task paid and unseen.
        delay = retry_delay(ErrorClass.TRANSIENT, min(task.attempts, MAX_ATTEMPTS[ErrorClass.TRANSIENT] - 1))
        give_up_at = (task.sent_at or timezone.now()) + timedelta(seconds=task.account.task_deadline)
        if timezone.now() + timedelta(seconds=delay) < give_up_at:
            task.state = TaskState.PENDING
            return _later(task, seconds=delay, fields=["state", "error_class", "error_message"])
    elif recovery == LostTaskRecovery.TASK_LIST:
        task.state = TaskState.RECOVERING
        task.attempts = 0
        task.submitted_details = {**task.submitted_details, "lost_at": timezone.now().isoformat()}
        return _later(
            task,
            seconds=task.account.poll_interval,
            fields=["state", "attempts", "submitted_details", "error_class", "error_message"],
        )
    _stop_uncertain(task, error.message)


def _recover(task: Task) -> None:
    """Looks for the lost task in the vendor's task list; adopts it when found, else looks again or stops."""
    adapter = task.account.adapter()
    last_sent = task.submitted_details.get("last_sent_at")
    sent_at = datetime.fromisoformat(last_sent) if last_sent else task.sent_at or task.created_at
    window = timedelta(seconds=settings.LOST_TASK_SEARCH_SECONDS)
    if _another_goes_first(task, sent_at):
        return _later(task, seconds=task.account.poll_interval)
    try:
        found = adapter.find_lost_task(
            _request(task), sent_at=sent_at, lost_at=_lost_at(task), known_ids=_known_vendor_ids(task, sent_at)
        )
    except VendorError as error:  # reading the list is safe to repeat: a faulty answer is asked again
        delay = retry_delay(error.error_class, task.attempts)
        if delay is None:
            return _stop_uncertain(task, error.message)
        task.attempts += 1
        return _later(task, seconds=delay, fields=["attempts"])
    if found is not None:
        logger.info("task %s: adopted vendor task %s after a lost answer", task.pk, found.vendor_task_id)
        return _accepted(task, found, adopted=True)
    if timezone.now() < sent_at + window:  # a slow vendor may list it only later
        return _later(task, seconds=task.account.poll_interval)
    _stop_uncertain(task, _("The vendor's task list shows no task for it."))


def _another_goes_first(task: Task, sent_at: datetime) -> bool:
    """Lost tasks of one account are looked for one at a time, oldest first, and not while a task is still
    being sent: a vendor list can show two tasks that look alike (suchuang shows 20 characters of a prompt),
    and the oldest lost task takes the vendor task made closest to its own send."""
    earlier_lost = Q(state=TaskState.RECOVERING, sent_at__lt=task.sent_at or sent_at)
    sending = Q(state=TaskState.SUBMITTING)  # its answer may yet name the vendor task that looks like ours
    return Task.objects.filter(earlier_lost | sending, account=task.account).exclude(pk=task.pk).exists()


KNOWN_IDS_WINDOW = timedelta(hours=1)


def _lost_at(task: Task) -> datetime:
    lost_at = task.submitted_details.get("lost_at")
    return datetime.fromisoformat(lost_at) if lost_at else task.updated_at


def _known_vendor_ids(task: Task, sent_at: datetime) -> set[str]:
    """The account's vendor tasks that are already ours, around the time this one was sent."""
    around = (sent_at - KNOWN_IDS_WINDOW, sent_at + KNOWN_IDS_WINDOW)
    return set(
        Task.objects.filter(account=task.account, sent_at__range=around)
        .exclude(vendor_task_id="")
        .order_by()
        .values_list("vendor_task_id", flat=True)
    )


def _stop_uncertain(task: Task, reason: str) -> None:
    _finish(
        task,
        TaskState.UNCERTAIN,
        error_class=UNCERTAIN,
        message=_(
            "Sent to the vendor, but its answer was lost (%(reason)s). The vendor may have made and charged "
            "this task and cannot tell us, so it was not sent again. Its points are refunded."
        )
        % {"reason": reason},
    )


def _request(task: Task) -> SubmitRequest:
    """The vendor call; sent again (or looked for), it carries the very input URLs of its first send."""
    spec = task.request
    assets = Asset.objects.in_bulk([item["asset"] for item in spec["inputs"]])
    inputs = tuple(
        input_image(assets[item["asset"]], role=item["role"], options=item["options"]) for item in spec["inputs"]
    )
    first_urls = list((task.submitted_details or {}).get("input_urls", {}))
    if task.sent_at and len(first_urls) == len(inputs):
        inputs = tuple(replace(image, url=url) for image, url in zip(inputs, first_urls, strict=True))
    return SubmitRequest(task.run.operation, spec["model"], spec["params"], inputs, task.idempotency_key)


# Poll ----------------------------------------------------------------------------------------------


def _poll(task: Task) -> None:
    adapter = task.account.adapter()
    if task.run.cancel_requested_at and adapter.can_cancel and not task.submitted_details.get("cancel_tried"):
        task.submitted_details = {**task.submitted_details, "cancel_tried": True}  # asked once, not every poll
        task.save(update_fields=["submitted_details", "updated_at"])
        if _cancel_at_vendor(adapter, task):
            return _finish(task, TaskState.CANCELED, message=_("Canceled at the vendor."))
    try:
        answer = adapter.poll(task.vendor_task_id, submitted=task.submitted_details)
    except VendorError as error:
        if _past_deadline(task) and not error.error_class.is_retryable:
            return _give_up_waiting(task, adapter)
        return _after_error(task, error, retry_state=TaskState.RUNNING)
    _note_vendor_balance(task, answer, throttled=True)
    if answer.status.is_terminal:  # collected even past the deadline: the vendor finished it and billed it
        return _start_collecting(task, answer)
    if _past_deadline(task):
        return _give_up_waiting(task, adapter)
    task.attempts = 0
    task.result = {"progress": answer.progress}
    _later(task, seconds=task.account.poll_interval, fields=["result", "attempts"])


def _past_deadline(task: Task) -> bool:
    return task.deadline_at is not None and timezone.now() > task.deadline_at


def _give_up_waiting(task: Task, adapter) -> None:
    _cancel_at_vendor(adapter, task)
    minutes = max(1, round(task.account.task_deadline / 60))
    _finish(
        task,
        TaskState.FAILED,
        error_class=ErrorClass.TRANSIENT,
        message=_("The vendor gave no result within %(minutes)d minutes of accepting it.") % {"minutes": minutes},
    )


BALANCE_NOTE_SECONDS = 10.0
_balance_noted_at: dict[int, float] = {}  # account id → when this process last wrote its balance


def _note_vendor_balance(task: Task, answer, *, throttled: bool = False) -> None:
    """hdredraw reports what is left on our account with every answer: the admin console shows it, and the
    count before each send tells the vendor check whether a lost call was charged (so a send's answer is
    always written). A poll's is written every few seconds at most: one per poll would make the account row
    the busiest row in the database, and claimers skip a locked account row."""
    if answer.balance is None:
        return
    now = time.monotonic()
    if not throttled or now - _balance_noted_at.get(task.account_id, -BALANCE_NOTE_SECONDS) >= BALANCE_NOTE_SECONDS:
        _balance_noted_at[task.account_id] = now
        account_record_balance(account_id=task.account_id, balance=answer.balance)


def _start_collecting(task: Task, answer) -> None:
    task.raw_response = _jsonable(answer.raw)
    task.result = {
        "status": answer.status.value,
        "files": [{"url": f.url, "kind": f.kind.value, "source": f.source} for f in answer.files],
        "details": _jsonable(answer.details),
        # What the vendor charged: imagewash says it at submit, suchuang and hdredraw with the result.
        "cost": answer.cost if answer.cost is not None else task.submitted_details.get("cost"),
        "error": [answer.error.error_class.value, answer.error.message] if answer.error else None,
    }
    task.state = TaskState.COLLECTING
    task.attempts = 0
    task.save()
    _collect(task)


# Collect -------------------------------------------------------------------------------------------


def _collect(task: Task) -> None:
    """Downloads every result at once (vendor URLs expire) and stores them; then settles the points."""
    files = task.result.get("files", [])
    stored = set(task.outputs.values_list("index", flat=True))
    missing = [(index, file) for index, file in enumerate(files) if index not in stored]
    adapter = task.account.adapter()
    retry_later = lost = None
    with ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS) as pool:
        downloads = {index: pool.submit(adapter.http.download, file["url"]) for index, file in missing}
    sources = _source_assets(task)
    # The products once for every file: each output keeps its product's name (the gallery sorts by it).
    products = Asset.objects.only("pk", "original_name").in_bulk(set(sources.values()))
    for index, file in missing:
        try:
            content = downloads[index].result()
            output_store(
                task=task,
                index=index,
                kind=FileKind(file["kind"]),
                content=content,
                source_asset=products.get(sources.get(file["source"]) or sources.get("")),
            )
        except VendorError as error:
            if error.error_class.is_retryable:
                retry_later = error
            else:
                logger.warning("task %s: result %s unusable: %s", task.pk, index, error.message)
                lost = error
        except UnusableFile as error:
            logger.warning("task %s: result %s unusable: %s", task.pk, index, error)
    if retry_later is not None:
        return _after_error(task, retry_later, retry_state=TaskState.COLLECTING, give_up=_settle)
    _settle(task, _links_gone(lost) if lost is not None and lost.http_status in GONE_STATUSES else None)


GONE_STATUSES = (403, 404, 410)


def _links_gone(error: VendorError) -> VendorError:
    return VendorError(
        ErrorClass.PERMANENT,
        _(
            "The vendor's result links no longer worked (HTTP %(status)d): its links expire, and this result "
            "was fetched too late. The missing images are refunded; retry the failed jobs."
        )
        % {"status": error.http_status},
        http_status=error.http_status,
    )


def _settle(task: Task, error: VendorError | None = None) -> None:
    """The task is over: its state follows from what was stored, and missing outputs are refunded."""
    images = task.outputs.filter(kind=OutputKind.IMAGE).count()
    vendor_error = task.result.get("error")
    if images >= task.outputs_expected:
        state = TaskState.SUCCEEDED
    elif images:
        state = TaskState.PARTIAL
    else:
        state = TaskState.FAILED
    message = ""
    if error is not None:
        message = error.message
    elif vendor_error:
        message = vendor_error[1]
    elif state != TaskState.SUCCEEDED:
        message = _("The vendor returned %(got)d of %(expected)d images.") % {
            "got": images, "expected": task.outputs_expected,
        }  # fmt: skip
    if state == TaskState.SUCCEEDED:
        error_class = ""
    elif error is not None:
        error_class = error.error_class.value
    else:
        error_class = vendor_error[0] if vendor_error else ""
    _finish(
        task, state, error_class=error_class, message=message, refund_outputs=max(0, task.outputs_expected - images)
    )


def _source_assets(task: Task) -> dict[str, int]:
    """The vendor's pointer to an input (the URL we sent) → our asset; "" → the task's one main input."""
    mapping = dict(task.submitted_details.get("input_urls", {}))
    main = [item["asset"] for item in task.request["inputs"] if item["role"] in MAIN_INPUT_ROLES]
    if len(main) == 1:
        mapping[""] = main[0]
    return mapping


# Endings ---------------------------------------------------------------------------------------------


def _after_error(task: Task, error: VendorError, *, retry_state: str, give_up=None) -> None:
    delay = retry_delay(error.error_class, task.attempts)
    task.error_class = error.error_class.value
    task.error_message = error.message
    if delay is None:
        if give_up is not None:
            return give_up(task, error)
        return _finish(task, TaskState.FAILED, error_class=error.error_class.value, message=error.message)
    task.state = retry_state
    if retry_state != TaskState.PENDING:
        task.attempts += 1
    return _later(task, seconds=delay, fields=["state", "attempts", "error_class", "error_message"])


def _later(task: Task, *, seconds: float, fields=()) -> None:
    """The step's last write: when to act next, and the claim given back in the same update."""
    task.updated_at = timezone.now()
    task.next_action_at = task.updated_at + timedelta(seconds=seconds)
    task.claimed_until, task.claim_token, task.claimed_by = None, "", ""
    fields = ["next_action_at", "updated_at", "claimed_until", "claim_token", "claimed_by", *fields]
    # An UPDATE of these columns, not Model.save(): the poll loop's one write, and save() cost twice its CPU.
    written = Task.objects.filter(pk=task.pk)
    if task.state != TaskState.PENDING:
        written.update(**{name: getattr(task, name) for name in fields})
    else:
        with transaction.atomic():  # it waits to be sent again: its vendor slot goes to another task
            release_slot(task)
            written.update(**{name: getattr(task, name) for name in fields})
    task.claim_given_back = True


def _finish(
    task: Task, state: str, *, error_class: str = "", message: str = "", refund_outputs: int | None = None
) -> None:
    if refund_outputs is None:
        refund_outputs = task.outputs_expected
    with transaction.atomic():
        # Counted once, however often a step ends it (a step that lost its claim may still be finishing).
        was_open = Task.objects.filter(pk=task.pk).exclude(state__in=TERMINAL_TASK_STATES).update(state=state)
        task.state = state
        task.error_class = error_class
        task.error_message = message
        task.finished_at = timezone.now()
        release_slot(task)
        task.save()
        if was_open:
            Run.objects.filter(pk=task.run_id).update(
                tasks_open=F("tasks_open") - 1, **{TASK_COUNTERS[state]: F(TASK_COUNTERS[state]) + 1}
            )
        amount = refund_outputs * task.points_per_output
        if amount:
            points_refund(
                team=task.run.project.team,
                amount=amount,
                run_id=task.run_id,
                key=f"task:{task.pk}:refund",
                reason=message[:300],
            )
    _settle_run(task.run_id)


def _settle_run(run_id: int) -> None:
    """Once every task is over, the run's state follows from its task counters, its refunds from the ledger."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)  # two tasks finishing at once must not both settle it
        if run.tasks_open or run.is_finished:
            return
        total = sum(getattr(run, counter) for counter in TASK_COUNTERS.values())
        if run.tasks_succeeded == total:
            run.state = RunState.SUCCEEDED
        elif run.cancel_requested_at or run.tasks_canceled == total:
            run.state = RunState.CANCELED  # a person stopped it: what it made before is kept, it did not fail
        elif run.tasks_succeeded or run.tasks_partial:
            run.state = RunState.PARTIAL
        else:
            run.state = RunState.FAILED
        run.points_refunded = _refunded(run)
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "points_refunded", "finished_at"])


def _refunded(run: Run) -> int:
    refunds = LedgerEntry.objects.filter(run_id=run.pk, kind=EntryKind.REFUND).aggregate(total=Sum("amount"))
    return refunds["total"] or 0


def _mark_run_running(run: Run) -> None:
    if run.state == RunState.QUEUED:
        Run.objects.filter(pk=run.pk, state=RunState.QUEUED).update(state=RunState.RUNNING)


def _cancel_at_vendor(adapter, task: Task) -> bool:
    """Best effort: most vendors cannot cancel, and lingtu only while the job still waits."""
    if not adapter.can_cancel:
        return False
    with contextlib.suppress(NotSupported, VendorError):
        return adapter.cancel(task.vendor_task_id)
    return False


def _jsonable(value):
    """Vendor answers and details as plain JSON (anything else becomes its string)."""
    return json.loads(json.dumps(value, default=str))


STEPS = {
    TaskState.PENDING: _submit,
    TaskState.SUBMITTING: _recover_submitting,
    TaskState.RECOVERING: _recover,
    TaskState.RUNNING: _poll,
    TaskState.COLLECTING: _collect,
}
