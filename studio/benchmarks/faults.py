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
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum
from PIL import Image

from studio.assets.ingest import asset_ingest
from studio.points.models import EntryKind, LedgerEntry
from studio.points.reconcile import CHECKS
from studio.runs.engine import claim_due_tasks
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
class ScenarioResult:
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
) -> ScenarioResult:
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
    return ScenarioResult(rows, seconds, unfinished, points, problems)


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
    """Plays the engine with `workers` step threads until every run is over; returns how many are not."""
    ids = [run.pk for run in runs]
    deadline = time.monotonic() + timeout
    in_hand: set[Future] = set()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while time.monotonic() < deadline and Run.objects.filter(pk__in=ids, finished_at=None).exists():
            # Claimed tasks are the steps' own: claiming again while they run never hands one out twice.
            if len(in_hand) < workers * 2:
                in_hand |= {pool.submit(_step, task_id, token) for task_id, token in claim_due_tasks(limit=workers)}
            done = {step for step in in_hand if step.done()}
            for step in done:
                step.result()  # a step's own error fails the benchmark loudly
            in_hand -= done
            time.sleep(0.02)
        wait(in_hand)
    return Run.objects.filter(pk__in=ids, finished_at=None).count()


def _step(task_id: int, token: str) -> None:
    try:
        task_step(task_id, token)
    finally:
        connection.close()  # a worker thread's connection must not outlive it (PostgreSQL keeps it open)


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


# The command: a throw-away database in a child process, the simulator and a web server in that process.

CURVE_DEFAULT = (10, 100, 1000)


def run_benchmark(*, tasks_per_vendor: int, curve: tuple[int, ...], seed: int, keep: bool, log) -> bool:
    """Migrates a throw-away SQLite database, then runs `inside()` in a child process on it; True if all is well."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    from studio.benchmarks.upload import manage, temporary_folder

    with temporary_folder(keep, log) as folder:
        env = {**os.environ, "STUDIO_VAR_DIR": str(folder), "DEBUG": "1", "LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"}
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)  # SQLite in the folder, the ORM broker (no worker process is started)
        log("Migrating a throw-away database …")
        manage(env, "migrate", "--noinput")
        command = [sys.executable, "manage.py", "benchmark", "faults", "--inside", "--seed", str(seed),
                   "--tasks", str(tasks_per_vendor), "--curve", ",".join(map(str, curve))]  # fmt: skip
        return subprocess.run(command, cwd=settings.BASE_DIR, env=env).returncode == 0  # noqa: S603 (prints as it goes)


def inside(*, tasks_per_vendor: int, curve: tuple[int, ...], seed: int, write) -> bool:
    from django.conf import settings

    settings.VENDOR_READ_TIMEOUT_SECONDS = READ_TIMEOUT
    settings.LOST_TASK_SEARCH_SECONDS = 5
    with _simulator(seed) as simulator, _web_server() as studio_url:
        settings.PUBLIC_BASE_URL = studio_url
        settings.VENDOR_ALLOWED_PRIVATE_HOSTS = [simulator.public_url.removeprefix("http://")]
        all_well = True
        write(
            f"faults benchmark: {tasks_per_vendor} one-task jobs per vendor and fault kind, simulator at "
            f"{simulator.latency} s latency, read timeout {READ_TIMEOUT} s, seed {seed}, {WORKERS} worker threads\n"
        )
        write("extra paid = vendor tasks beyond one per Studio task (target 0); refunded pts = points given back\n")
        write(HEADER)
        for name, faults in scenarios(READ_TIMEOUT).items():
            outcome = _scenario(name, faults, simulator, tasks_per_vendor)
            all_well &= _write_outcome(outcome, write)
        if curve:
            write("\nHow the cost grows (the storm, all five vendors together):\n")
            write(f"{'tasks':>7} {'seconds':>8} {'s/task':>7} {'vendor calls/task':>18} {'extra paid':>11} "
                  f"{'uncertain':>10} {'unfinished':>10}\n")  # fmt: skip
            for total in curve:
                per_vendor = max(1, total // len(KINDS))
                outcome = _scenario("storm", scenarios(READ_TIMEOUT)["storm"], simulator, per_vendor)
                calls = sum(n for key, n in simulator.calls.items() if key in KINDS)  # counted since its reset
                tasks = sum(row.studio_tasks for row in outcome.rows)
                write(
                    f"{tasks:>7} {outcome.seconds:>8.1f} {outcome.seconds / tasks:>7.3f} {calls / tasks:>18.2f} "
                    f"{sum(row.extra_paid for row in outcome.rows):>11} "
                    f"{sum(row.uncertain for row in outcome.rows):>10} {outcome.unfinished:>10}\n"
                )
                all_well &= outcome.unfinished == 0 and not any(row.extra_paid for row in outcome.rows)
        return all_well


READ_TIMEOUT = 1.0
WORKERS = 4
HEADER = (
    f"{'fault kind':<24} {'vendor':<11} {'Studio tasks':>12} {'vendor made':>11} {'extra paid':>10} "
    f"{'adopted':>8} {'uncertain':>9} {'failed':>7} {'refunded pts':>12}\n"
)


def _scenario(name: str, faults: list[Fault], simulator: Simulator, tasks_per_vendor: int) -> ScenarioResult:
    """Each scenario gets its own team and vendor accounts, so its checks see only its own tasks."""
    from studio.accounts.models import Membership, Team, User
    from studio.points.services import points_grant
    from studio.projects.models import Project
    from studio.simulator.app import demo_credentials
    from studio.vendors.models import VendorAccount
    from studio.vendors.services import offerings_load

    label = f"{name} {time.monotonic_ns()}"
    team = Team.objects.create(name=label[:100])
    user = User.objects.create_user(username=f"bench-{time.monotonic_ns()}")
    Membership.objects.create(user=user, team=team, role="staff")
    project = Project.objects.create(team=team, name="Faults", created_by=user)
    points_grant(team=team, amount=10_000_000, reason="benchmark budget", user=None, key=f"grant-{label}")
    accounts = {}
    for kind in KINDS:
        account = VendorAccount(kind=kind, name=f"{kind} {label}"[:100], base_url=simulator.public_url,
                                poll_interval_seconds=0.2, max_concurrent_tasks=20)  # fmt: skip
        account.set_credentials(demo_credentials(kind))
        account.save()
        offerings_load(account=account)
        accounts[kind] = account
    return run_scenario(name, faults, simulator=simulator, accounts=accounts, project=project, user=user,
                        tasks_per_vendor=tasks_per_vendor, timeout=1800, workers=WORKERS)  # fmt: skip


def _write_outcome(outcome: ScenarioResult, write) -> bool:
    for row in outcome.rows:
        write(
            f"{row.scenario:<24} {row.vendor:<11} {row.studio_tasks:>12} {row.vendor_created:>11} "
            f"{row.extra_paid:>10} {row.adopted:>8} {row.uncertain:>9} {row.failed:>7} {row.refunded_points:>12}\n"
        )
    ledger = "ledger ok" if not outcome.points_differences else f"LEDGER: {'; '.join(outcome.points_differences)}"
    problems = sum(outcome.vendor_problems.values())
    vendor = "vendor check: no orphans or charges without outputs" if not problems else f"VENDOR CHECK: {problems}"
    unfinished = f", {outcome.unfinished} RUNS UNFINISHED" if outcome.unfinished else ""
    write(f"{'':<24} {outcome.seconds:.1f} s; {ledger}; {vendor}{unfinished}\n")
    extra = sum(row.extra_paid for row in outcome.rows)
    return not (extra or outcome.points_differences or problems or outcome.unfinished)


class _simulator:
    def __init__(self, seed: int):
        from studio.simulator.app import build_simulator

        self.engine = build_simulator(latency=0.3, seed=seed)

    def __enter__(self) -> Simulator:
        import threading

        from studio.simulator.core import make_server

        self.server = make_server(self.engine, port=0)
        self.engine.public_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.engine

    def __exit__(self, *exc) -> None:
        self.server.shutdown()


class _web_server:
    """The studio itself on a loopback port: the vendors fetch their inputs from its signed URLs."""

    def __enter__(self) -> str:
        import threading

        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        self.server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
        self.server.set_app(WSGIHandler())
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
