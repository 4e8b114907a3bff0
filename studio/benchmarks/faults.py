"""`manage.py benchmark faults`: vendors that misbehave the way real ones do, and what that cost at the vendor.

For each fault kind, one-task jobs for every vendor run through the worker's real steps against the built-in
simulator, whose ledger counts the tasks each vendor made and charged. Per vendor and fault kind it reports
Studio's tasks, the vendor's tasks, extra paid tasks (target 0), adopted and uncertain tasks, refunds, and
whether the points ledger and the vendor check agree.

"Extra paid" is counted from the vendor's side: every vendor task Studio does not know is an orphan; an
orphan can only be the one task of a Studio task that stopped as uncertain, so orphans beyond the
uncertain tasks are tasks paid twice.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import close_old_connections
from django.db.models import Sum
from PIL import Image

from studio.assets.ingest import asset_ingest
from studio.points.models import EntryKind, LedgerEntry
from studio.points.reconcile import CHECKS
from studio.runs.driver import claim_due_tasks
from studio.runs.models import Run, Task, TaskState
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.runs.vendor_check import vendor_check
from studio.runs.worker import task_step
from studio.simulator.core import Fault, Simulator
from studio.vendors.models import Offering

# Each vendor's submit call, so that answer faults can be aimed at submits (polls are safe to repeat anyway).
SUBMIT_PATHS = {
    "imagewash": "/imageWash/generate",
    "imagetasks": "/v1/images/tasks",  # the poll path starts the same: its polls meet these faults too
    "hdredraw": "/api/submit_task",
    "suchuang": "/tasks/submit",
    "lingtu": "/aigc/synthesis/dress",
}
KINDS = tuple(SUBMIT_PATHS)
SLOW_SECONDS_OVER_TIMEOUT = 0.5


def scenarios(read_timeout: float) -> dict[str, list[Fault]]:
    """The fault kinds, each as the faults to switch on (all at seeded random rates)."""

    def at_submits(kind: str, rate: float, **fields) -> list[Fault]:
        return [Fault(kind, vendor=vendor, endpoint=path, rate=rate, **fields) for vendor, path in SUBMIT_PATHS.items()]

    return {
        "cut answers 25%": at_submits("cut_answer", 0.125) + at_submits("cut_answer", 0.143, mode="truncated"),
        "slow answers 25%": at_submits("slow_answer", 0.25, seconds=read_timeout + SLOW_SECONDS_OVER_TIMEOUT),
        "gateway 502/504 25%": at_submits("gateway_error", 0.125) + at_submits("gateway_error", 0.143, status=504),
        "errors as HTTP 200 25%": at_submits("error_200", 0.125) + at_submits("error_200", 0.143, status=429),
        "storm": [
            Fault("rate_limit", rate=0.10),
            Fault("server_error", rate=0.111),
            Fault("cut_answer", rate=0.0625),
            Fault("fail_task", rate=0.10),
            Fault("partial_failure", rate=0.222),
        ],
    }


@dataclass
class Row:
    scenario: str
    vendor: str
    studio_tasks: int
    sent: int
    vendor_created: int
    vendor_known: int  # vendor tasks Studio knows by id
    adopted: int
    uncertain: int
    failed: int
    refunded_points: int

    @property
    def orphans(self) -> int:
        return self.vendor_created - self.vendor_known

    @property
    def extra_paid(self) -> int:
        return max(0, self.orphans - self.uncertain)


@dataclass
class Outcome:
    rows: list[Row]
    seconds: float
    unfinished: int
    points_differences: list[str]
    vendor_problems: dict[str, int]  # per vendor: orphans + charges without outputs the vendor check found


def run_scenario(
    name: str,
    faults: list[Fault],
    *,
    simulator: Simulator,
    accounts: dict,
    project,
    user,
    tasks_per_vendor: int,
    timeout: float = 600,
    workers: int = 4,
    log: Callable[[str], None] = lambda line: None,
) -> Outcome:
    simulator.reset()
    for fault in faults:
        simulator.add_fault(Fault(**fault.__dict__))
    started = time.monotonic()
    runs = {kind: [one_job(kind, accounts, project, user, number=n) for n in range(tasks_per_vendor)] for kind in KINDS}
    unfinished = drive_all([run for kind_runs in runs.values() for run in kind_runs], timeout=timeout, workers=workers)
    seconds = time.monotonic() - started
    log(f"{name}: {seconds:.1f} s, {unfinished} runs unfinished")
    ledger = simulator.ledger_summary()
    rows = [_row(name, kind, runs[kind], ledger[kind]) for kind in KINDS]
    ours = {account.pk for account in accounts.values()}
    checks = [check for check in vendor_check(days=1) if check.account.pk in ours]
    problems = {check.account.kind: len(check.orphans) + len(check.charged_without_outputs) for check in checks}
    points = [message for check in CHECKS for message in check()]
    return Outcome(rows, seconds, unfinished, points, problems)


def _row(name: str, kind: str, runs: list[Run], ledger: dict) -> Row:
    tasks = Task.objects.filter(run__in=runs)
    known = set(tasks.exclude(vendor_task_id="").values_list("vendor_task_id", flat=True))
    made = {entry["id"] for entry in ledger["tasks"]}
    refunded = LedgerEntry.objects.filter(run_id__in=[run.pk for run in runs], kind=EntryKind.REFUND)
    return Row(
        scenario=name,
        vendor=kind,
        studio_tasks=tasks.count(),
        sent=tasks.exclude(sent_at=None).count(),
        vendor_created=ledger["created"],
        vendor_known=len(known & made),
        adopted=tasks.filter(submitted_details__adopted=True).count(),
        uncertain=tasks.filter(state=TaskState.UNCERTAIN).count(),
        failed=tasks.filter(state=TaskState.FAILED).count(),
        refunded_points=refunded.aggregate(total=Sum("amount"))["total"] or 0,
    )


def drive_all(runs: list[Run], *, timeout: float, workers: int) -> int:
    """Plays the driver and `workers` worker threads until every run is over; returns how many are not."""
    ids = [run.pk for run in runs]
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=workers, initializer=close_old_connections) as pool:
        while time.monotonic() < deadline:
            open_runs = Run.objects.filter(pk__in=ids, finished_at=None).count()
            if not open_runs:
                return 0
            steps = [pool.submit(_step, task_id, token) for task_id, token in claim_due_tasks()]
            for step in steps:
                step.result()
            if not steps:
                time.sleep(0.05)
    return Run.objects.filter(pk__in=ids, finished_at=None).count()


def _step(task_id: int, token: str) -> None:
    try:
        task_step(task_id, token)
    finally:
        close_old_connections()


def one_job(kind: str, accounts: dict, project, user, *, number: int = 0, prompt: str = "a clean studio product photo"):
    """A run of one vendor task of `kind`; `number` makes its inputs and prompt differ from other runs'."""
    colour = (40 + number * 7 % 200, 90 + number % 50, 160)
    prompt = f"{prompt} {number}"
    if kind == "imagewash":
        product = _image(project, user, f"wash-{number}.png", colour)
        offering = _offering(accounts, kind, "wash", "nanoBanana2")
        call = PlannedCall({"prompt": prompt, "count": 1, "resolution": "1k"}, (PlannedInput(product, "product"),))
    elif kind == "imagetasks":
        offering, call = _offering(accounts, kind, "text_to_image", "NanoBanana2-1K"), PlannedCall({"prompt": prompt})
    elif kind == "hdredraw":
        product = _image(project, user, f"upscale-{number}.png", colour)
        offering, call = _offering(accounts, kind, "upscale"), PlannedCall({}, (PlannedInput(product, "product"),))
    elif kind == "suchuang":
        offering = _offering(accounts, kind, "text_to_image", "sc_soraimg_text_1x1")
        call = PlannedCall({"prompt": prompt})
    else:
        model = _image(project, user, f"model-{number}.png", colour, "model", (400, 600))
        garment = _image(project, user, f"shirt-{number}.png", (20, 120, 60 + number % 100), "garment", (300, 300))
        offering = _offering(accounts, kind, "try_on")
        call = PlannedCall({}, (PlannedInput(model, "model"), PlannedInput(garment, "garment", {"type": "upperBody"})))
    return runs_submit(project=project, offering=offering, user=user, calls=[call])


def _image(project, user, name: str, colour, role: str = "product", size=(320, 400)):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    upload = SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
    return asset_ingest(project=project, upload=upload, user=user, role=role).asset  # a duplicate gives its twin


def _offering(accounts: dict, kind: str, operation: str, model: str = "") -> Offering:
    return Offering.objects.get(account=accounts[kind], operation=operation, model=model)
