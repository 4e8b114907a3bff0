"""Submitting a run: every rule checked, the price worked out, points held and tasks created at once."""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts.models import Membership, User
from studio.assets.models import Asset
from studio.points.services import points_hold, wallet_lock
from studio.projects.models import Project
from studio.runs.models import (
    TASK_COUNTERS,
    TERMINAL_RUN_STATES,
    TERMINAL_TASK_STATES,
    Run,
    RunInput,
    RunState,
    Task,
    TaskState,
)
from studio.vendors.base import InvalidParameters, SubmitRequest
from studio.vendors.inputs import input_image
from studio.vendors.models import Offering


@dataclass(frozen=True)
class PlannedInput:
    asset: Asset
    role: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedCall:
    """One vendor request as the composer planned it, before the vendor's own per-call limits split it."""

    params: dict[str, Any]
    inputs: tuple[PlannedInput, ...] = ()


class OfferingUnavailable(Exception):
    pass


class MonthlyLimitReached(Exception):
    """The member's own monthly points limit (set by an admin) cannot cover the job; nothing was written."""

    def __init__(self, *, needed: int, left: int, limit: int):
        self.needed, self.left, self.limit = needed, left, limit
        super().__init__(
            _(
                "This job needs %(needed)s points, but your monthly limit is %(limit)s and %(left)s are left this "
                "month. Choose fewer images or ask your team's admin to raise your limit."
            )
            % {"needed": needed, "limit": limit, "left": left}
        )


def member_points_left(*, user: User, team) -> tuple[int, int] | None:
    """(points left this month, the limit) for a member with a monthly limit; None without one.

    Spent is what the member's runs of this calendar month hold now: charges less refunds.
    """
    limit = Membership.objects.filter(user=user, team=team).values_list("monthly_points_limit", flat=True).first()
    if limit is None:
        return None
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    spent = Run.objects.filter(project__team=team, created_by=user, created_at__gte=month_start).aggregate(
        spent=Sum(F("points_charged") - F("points_refunded"))
    )["spent"]
    return max(0, limit - (spent or 0)), limit


def _check_monthly_limit(*, user: User, team, points: int) -> None:
    """Call with the team's wallet locked, so two submits of one member cannot both pass the check."""
    left = member_points_left(user=user, team=team)
    if left is not None and points > left[0]:
        raise MonthlyLimitReached(needed=points, left=left[0], limit=left[1])


MAX_JOB_OUTPUTS = 10_000  # images one job may make: 2,000 products × 5, or a run page and ZIP still quick to use


@dataclass(frozen=True)
class Estimate:
    requests: list[SubmitRequest]
    outputs: int
    points: int
    prices: list[int]  # points per output of each request
    assets_by_url: dict[str, int]  # each input's signed URL → its asset, to record the request by asset ids


def runs_estimate(*, offering: Offering, calls: list[PlannedCall]) -> Estimate:
    """Validates every call against the vendor's rules and prices it; raises InvalidParameters."""
    if not offering.enabled or not offering.account.enabled:
        raise OfferingUnavailable(_("This offering is switched off. Pick another vendor or model."))
    if not calls:
        raise InvalidParameters({"inputs": _("Choose at least one input image.")})
    adapter = offering.account.adapter()
    requests, prices, assets_by_url = [], [], {}
    for number, call in enumerate(calls):
        images = []
        for item in call.inputs:
            image = input_image(item.asset, role=item.role, options=item.options)
            assets_by_url[image.url] = item.asset.pk
            images.append(image)
        planned = SubmitRequest(
            offering.operation,
            offering.model,
            {**offering.fixed_params, **call.params},
            tuple(images),
            idempotency_key=f"c{number}",
        )
        for request in adapter.split(adapter.validate(planned)):
            requests.append(request)
            prices.append(offering.points_per_output(adapter.price_inputs(request)))
    outputs = [adapter.output_count(request) for request in requests]
    if sum(outputs) > MAX_JOB_OUTPUTS:
        message = _("This job would make %(count)s images; one job makes at most %(max)s. Choose fewer images "
                    "per input, or split the inputs into several jobs.")  # fmt: skip
        raise InvalidParameters(
            {"general": message % {"count": intcomma(sum(outputs)), "max": intcomma(MAX_JOB_OUTPUTS)}}
        )
    points = sum(price * count for price, count in zip(prices, outputs, strict=True))
    return Estimate(requests, sum(outputs), points, prices, assets_by_url)


class AlreadySubmitted(Exception):
    """The same composer form was sent before: its run is `run`, and nothing new was made or charged."""

    def __init__(self, run: Run):
        super().__init__(f"already submitted as run {run.pk}")
        self.run = run


def runs_submit(
    *, project: Project, offering: Offering, user: User, calls: list[PlannedCall], submit_key: str = ""
) -> Run:
    """Creates the run and its tasks and holds its points in one transaction; nothing happens if any fails.
    A `submit_key` already used by this user raises AlreadySubmitted with the first run."""
    estimate = runs_estimate(offering=offering, calls=calls)
    adapter = offering.account.adapter()
    try:
        return _create_run(project, offering, user, calls, estimate, adapter, submit_key)
    except IntegrityError:  # the same form, sent twice at once: the other one made the run
        earlier = Run.objects.filter(created_by=user, submit_key=submit_key).first() if submit_key else None
        if earlier is None:
            raise
        raise AlreadySubmitted(earlier) from None


def _create_run(project, offering, user, calls, estimate, adapter, submit_key) -> Run:
    with transaction.atomic():
        wallet_lock(team=project.team)  # a second send of the form waits here, then finds the first's run
        if submit_key and (earlier := Run.objects.filter(created_by=user, submit_key=submit_key).first()):
            raise AlreadySubmitted(earlier)
        _check_monthly_limit(user=user, team=project.team, points=estimate.points)
        run = Run.objects.create(
            project=project, offering=offering, operation=offering.operation, params=calls[0].params,
            outputs_expected=estimate.outputs, points_charged=estimate.points, created_by=user,
            tasks_open=len(estimate.requests), submit_key=submit_key,
        )  # fmt: skip
        RunInput.objects.bulk_create(
            RunInput(run=run, asset=item.asset, role=item.role, options=item.options)
            for item in {(i.asset.pk, i.role): i for call in calls for i in call.inputs}.values()
        )
        Task.objects.bulk_create(
            Task(
                run=run,
                account=offering.account,
                index=index,
                idempotency_key=new_idempotency_key(),
                request=_serialize(request, estimate.assets_by_url),
                outputs_expected=adapter.output_count(request),
                points_per_output=price,
                next_action_at=run.created_at,
            )  # fmt: skip
            for index, (request, price) in enumerate(zip(estimate.requests, estimate.prices, strict=True))
        )
        if estimate.points:
            points_hold(team=project.team, amount=estimate.points, run_id=run.pk, key=f"run:{run.pk}:hold", user=user)
    return run


def runs_cancel(*, run: Run) -> None:
    """Waiting tasks are dropped and refunded by the worker at once; tasks at the vendor are canceled
    there where the vendor can (lingtu), and otherwise finish, their late results kept."""
    if run.is_finished or run.cancel_requested_at:
        return
    now = timezone.now()
    with transaction.atomic():
        Run.objects.filter(pk=run.pk).update(cancel_requested_at=now)
        run.tasks.exclude(state__in=TERMINAL_TASK_STATES).update(next_action_at=now)
    run.cancel_requested_at = now


RETRYABLE_TASK_STATES = (TaskState.FAILED, TaskState.CANCELED)


def new_idempotency_key() -> str:
    """Random and unique across installs: lingtu returns the old job for a requestId it has seen before,
    so a key made from our own ids (run 1, task 0) would collide between two databases on one account."""
    return f"studio-{uuid.uuid4().hex}"


def runs_retry_failed(*, run: Run, user: User, states=RETRYABLE_TASK_STATES) -> tuple[int, int]:
    """Sends a finished run's failed and canceled tasks again, as new tasks, charged again.

    With `states=(TaskState.UNCERTAIN,)` it sends the tasks whose first send may have reached the
    vendor: a person asked for it, knowing the vendor may charge twice.
    Returns how many tasks and how many points. The old tasks stay as they were, for the record.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)  # two clicks must not retry twice
        failed = list(run.tasks.filter(state__in=states, retried_by__isnull=True))
        if not run.is_finished or not failed:
            return 0, 0
        next_index = run.tasks.count()
        points = sum(task.points_per_output * task.outputs_expected for task in failed)
        wallet_lock(team=run.project.team)
        _check_monthly_limit(user=user, team=run.project.team, points=points)
        retries = Task.objects.bulk_create(
            Task(
                run=run,
                account_id=task.account_id,
                index=next_index + offset,
                idempotency_key=new_idempotency_key(),
                request=task.request,
                outputs_expected=task.outputs_expected,
                points_per_output=task.points_per_output,
                next_action_at=timezone.now(),
            )  # fmt: skip
            for offset, task in enumerate(failed)
        )
        for task, retry in zip(failed, retries, strict=True):
            task.retried_by, task.updated_at = retry, timezone.now()
        Task.objects.bulk_update(failed, ["retried_by", "updated_at"])
        if points:
            points_hold(
                team=run.project.team, amount=points, run_id=run.pk, key=f"run:{run.pk}:retry{next_index}", user=user
            )
        replaced = Counter(TASK_COUNTERS[task.state] for task in failed)  # each now counts as its retry
        Run.objects.filter(pk=run.pk).update(
            state=RunState.RUNNING,
            finished_at=None,
            cancel_requested_at=None,
            points_charged=F("points_charged") + points,
            tasks_open=F("tasks_open") + len(failed),
            **{counter: F(counter) - n for counter, n in replaced.items()},
        )
    return len(failed), points


@dataclass(frozen=True)
class ProjectRetry:
    """What "Retry all failed" would send again: the finished runs with failed or canceled jobs, and the price."""

    runs: int
    tasks: int
    points: int


def _runs_with_failures(project: Project):
    """Finished runs with failed or canceled jobs, found from the runs' own counters: the cost follows the
    failures, not the project's history."""
    return Run.objects.filter(project=project, state__in=TERMINAL_RUN_STATES).filter(
        Q(tasks_failed__gt=0) | Q(tasks_canceled__gt=0)
    )


def project_retry_preview(*, project: Project) -> ProjectRetry:
    run_ids = list(_runs_with_failures(project).values_list("pk", flat=True))
    tasks = Task.objects.filter(run_id__in=run_ids, state__in=RETRYABLE_TASK_STATES, retried_by__isnull=True)
    totals = tasks.aggregate(tasks=Count("pk"), points=Sum(F("points_per_output") * F("outputs_expected")))
    return ProjectRetry(len(run_ids) if totals["tasks"] else 0, totals["tasks"], totals["points"] or 0)


def runs_retry_failed_in_project(*, project: Project, user: User) -> ProjectRetry:
    """Every finished run's failed and canceled jobs sent again, all or none: a wallet or a monthly limit that
    cannot cover them all raises (InsufficientPoints, MonthlyLimitReached) and nothing is sent."""
    runs = tasks = points = 0
    with transaction.atomic():
        for run in _runs_with_failures(project).order_by("pk"):
            sent, charged = runs_retry_failed(run=run, user=user)
            runs, tasks, points = runs + bool(sent), tasks + sent, points + charged
    return ProjectRetry(runs, tasks, points)


def _serialize(request: SubmitRequest, assets_by_url: dict[str, int]) -> dict:
    """The request by asset ids: input URLs expire, so the worker signs fresh ones when it sends."""
    return {
        "operation": request.operation,
        "model": request.model,
        "params": request.params,
        "inputs": [
            {"asset": assets_by_url[image.url], "role": image.role, "options": image.options}
            for image in request.inputs
        ],
    }
