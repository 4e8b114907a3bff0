"""The worker's steps for one task: submit → poll → collect, each resumable from the stored state.

`task_step(task_id)` is what django-q2 runs; the driver (studio/runs/driver.py) claims due tasks
and enqueues one step each. A step records what it is about to do before calling the vendor and
what the vendor said after, so a worker killed at any moment leaves a state to resume from:

- PENDING: not sent yet → submit.
- SUBMITTING found with an expired claim: the worker died during the call. Vendors that de-duplicate
  by our key (lingtu's requestId) are simply asked again; for the others we cannot know whether
  the task was created, so it fails and is refunded rather than risk paying twice.
- RUNNING → poll at the account's interval until the vendor is done, or the deadline passes.
- COLLECTING → download every result at once, store, thumbnail; already stored files are kept.
"""

import contextlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.assets.models import Asset
from studio.points.models import EntryKind, LedgerEntry
from studio.points.services import points_refund
from studio.runs.models import (
    ACTIVE_TASK_STATES,
    TERMINAL_TASK_STATES,
    OutputKind,
    Run,
    RunState,
    Task,
    TaskState,
)
from studio.runs.outputs import UnusableFile, output_store
from studio.runs.retry import retry_delay
from studio.vendors.base import ErrorClass, FileKind, NotSupported, SubmitRequest, VendorError
from studio.vendors.inputs import input_image
from studio.vendors.services import account_record_balance

logger = logging.getLogger(__name__)

IDEMPOTENT_KINDS = {"lingtu"}  # vendors that return the same job for the same request id
MAIN_INPUT_ROLES = ("product", "model", "reference")  # what an output is "made from", for review side by side
DOWNLOAD_THREADS = 4
UNEXPECTED_ERROR_PAUSE = 30


def task_step(task_id: int, claim_token: str = "") -> None:
    """One step of one task, if this step still holds the task's claim (a stale queued step does nothing)."""
    mine = Task.objects.filter(pk=task_id, claim_token=claim_token)
    # The claim's clock starts now, not when the step was queued: waiting in the queue must not use it up.
    if not mine.update(claimed_until=timezone.now() + timedelta(seconds=settings.TASK_CLAIM_SECONDS)):
        return
    task = Task.objects.select_related("run", "account").get(pk=task_id)
    if task.is_finished:
        mine.update(claimed_until=None, claim_token="")
        return
    try:
        STEPS[task.state](task)
    except Exception:
        # A bug or a database hiccup: try the same step again later rather than at once, forever.
        logger.exception("task %s: step %s failed", task_id, task.state)
        mine.update(next_action_at=timezone.now() + timedelta(seconds=UNEXPECTED_ERROR_PAUSE))
        raise
    finally:
        mine.update(claimed_until=None, claim_token="")


# Submit --------------------------------------------------------------------------------------------


def _submit(task: Task) -> None:
    if task.run.cancel_requested_at:
        return _finish(task, TaskState.CANCELED, message=_("Canceled before it was sent."))
    busy = Task.objects.filter(account=task.account, state__in=ACTIVE_TASK_STATES).count()
    if busy >= task.account.max_concurrent_tasks:
        return _later(task, seconds=1)
    _mark_run_running(task.run)
    adapter = task.account.adapter()
    request = _request(task)
    task.state = TaskState.SUBMITTING
    task.attempts += 1
    task.save(update_fields=["state", "attempts", "updated_at"])  # recorded before the call: see module doc
    try:
        answer = adapter.submit(request)
    except VendorError as error:
        return _after_error(task, error, retry_state=TaskState.PENDING)
    _note_vendor_balance(task, answer)
    now = timezone.now()
    task.vendor_task_id = answer.vendor_task_id
    # The input URLs as sent, so a vendor's pointer to an input (imagewash's productImage) finds its asset.
    sent = {image.url: item["asset"] for image, item in zip(request.inputs, task.request["inputs"], strict=True)}
    task.submitted_details = {**_jsonable(answer.details), "input_urls": sent, "cost": answer.cost}
    task.raw_response = _jsonable(answer.raw)
    task.submitted_at = now
    task.deadline_at = now + timedelta(seconds=settings.VENDOR_TASK_DEADLINE_SECONDS)
    if answer.status.is_terminal:
        return _start_collecting(task, answer)
    task.state = TaskState.RUNNING
    task.attempts = 0
    task.next_action_at = now + timedelta(seconds=task.account.poll_interval)
    task.save()


def _recover_submitting(task: Task) -> None:
    if task.account.kind in IDEMPOTENT_KINDS:
        task.state = TaskState.PENDING
        task.save(update_fields=["state", "updated_at"])
        return _submit(task)
    return _finish(
        task,
        TaskState.FAILED,
        error_class=ErrorClass.PERMANENT,
        message=_(
            "The worker stopped while sending this task. This vendor cannot tell a repeat from a new task, "
            "so it was not sent again (you would pay twice). Its points are refunded; retry it if you like."
        ),
    )


def _request(task: Task) -> SubmitRequest:
    spec = task.request
    assets = Asset.objects.in_bulk([item["asset"] for item in spec["inputs"]])
    inputs = tuple(
        input_image(assets[item["asset"]], role=item["role"], options=item["options"]) for item in spec["inputs"]
    )
    return SubmitRequest(task.run.operation, spec["model"], spec["params"], inputs, task.idempotency_key)


# Poll ----------------------------------------------------------------------------------------------


def _poll(task: Task) -> None:
    adapter = task.account.adapter()
    if task.run.cancel_requested_at and not task.result.get("cancel_tried"):
        task.result = {**task.result, "cancel_tried": True}
        task.save(update_fields=["result", "updated_at"])
        if _cancel_at_vendor(adapter, task):
            return _finish(task, TaskState.CANCELED, message=_("Canceled at the vendor."))
    if task.deadline_at and timezone.now() > task.deadline_at:
        _cancel_at_vendor(adapter, task)
        minutes = settings.VENDOR_TASK_DEADLINE_SECONDS // 60
        return _finish(
            task,
            TaskState.FAILED,
            error_class=ErrorClass.TRANSIENT,
            message=_("The vendor gave no result within %(minutes)d minutes.") % {"minutes": minutes},
        )
    try:
        answer = adapter.poll(task.vendor_task_id, submitted=task.submitted_details)
    except VendorError as error:
        return _after_error(task, error, retry_state=TaskState.RUNNING)
    _note_vendor_balance(task, answer)
    if not answer.status.is_terminal:
        task.attempts = 0
        task.result = {"progress": answer.progress}
        return _later(task, seconds=task.account.poll_interval, fields=["result", "attempts"])
    _start_collecting(task, answer)


def _note_vendor_balance(task: Task, answer) -> None:
    """hdredraw reports what is left on our account with every answer: the admin console shows it."""
    if answer.balance is not None:
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
    retry_later = None
    with ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS) as pool:
        downloads = {index: pool.submit(adapter.http.download, file["url"]) for index, file in missing}
    sources = _source_assets(task)
    for index, file in missing:
        try:
            content = downloads[index].result()
            output_store(
                task=task,
                index=index,
                kind=FileKind(file["kind"]),
                content=content,
                source_asset_id=sources.get(file["source"]) or sources.get(""),
            )
        except VendorError as error:
            if error.error_class.is_retryable:
                retry_later = error
            else:
                logger.warning("task %s: result %s unusable: %s", task.pk, index, error.message)
        except UnusableFile as error:
            logger.warning("task %s: result %s unusable: %s", task.pk, index, error)
    if retry_later is not None:
        return _after_error(task, retry_later, retry_state=TaskState.COLLECTING, give_up=_settle)
    _settle(task)


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
    task.next_action_at = timezone.now() + timedelta(seconds=seconds)
    task.save(update_fields=["next_action_at", "updated_at", *fields])


def _finish(
    task: Task, state: str, *, error_class: str = "", message: str = "", refund_outputs: int | None = None
) -> None:
    if refund_outputs is None:
        refund_outputs = task.outputs_expected
    with transaction.atomic():
        task.state = state
        task.error_class = error_class
        task.error_message = message
        task.finished_at = timezone.now()
        task.save()
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
    """Once every task is over, the run's state and its refunded points follow from its tasks."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)  # two tasks finishing at once must not both settle it
        counts = run.tasks.filter(retried_by__isnull=True).aggregate(  # a retried task is replaced by its retry
            open=Count("id", filter=~Q(state__in=TERMINAL_TASK_STATES)),
            succeeded=Count("id", filter=Q(state=TaskState.SUCCEEDED)),
            partial=Count("id", filter=Q(state=TaskState.PARTIAL)),
            canceled=Count("id", filter=Q(state=TaskState.CANCELED)),
            total=Count("id"),
        )
        if counts["open"] or run.is_finished:
            return
        if counts["succeeded"] == counts["total"]:
            run.state = RunState.SUCCEEDED
        elif counts["succeeded"] or counts["partial"]:
            run.state = RunState.PARTIAL
        elif counts["canceled"] == counts["total"] or run.cancel_requested_at:
            run.state = RunState.CANCELED
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
    with contextlib.suppress(NotSupported, VendorError):
        return adapter.cancel(task.vendor_task_id)
    return False


def _jsonable(value):
    """Vendor answers and details as plain JSON (anything else becomes its string)."""
    return json.loads(json.dumps(value, default=str))


STEPS = {
    TaskState.PENDING: _submit,
    TaskState.SUBMITTING: _recover_submitting,
    TaskState.RUNNING: _poll,
    TaskState.COLLECTING: _collect,
}
