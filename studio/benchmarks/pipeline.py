"""`manage.py benchmark pipeline`: vendor results through the whole worker pipeline, end to end.

The requirement: "400 outputs of 1024 px PNG through submit, poll, download, storage, thumbnail and database,
with the simulator at zero latency serving pre-made result files, with the default settings and again with
PostgreSQL + Redis. Print outputs per second end to end, the worker's CPU ms per output, and vendor calls per
output." Targets: at least 25 outputs/s, at most 70 ms of worker CPU per output (2 cores; decoding one 1024 px
PNG and writing its WebP thumbnail alone costs about 55 ms of one core).

How it runs, nothing of it touching the caller's own database, media, Redis keys or queue:

1. One 1024 × 1024 photo-like PNG (a gradient under fine noise, ~1.7 MB) is made once, before anything is timed.
2. A throw-away STUDIO_VAR_DIR (SQLite database and media) in a temporary folder; with --database-url a fresh
   PostgreSQL database `studio_bench_<pid>` is created on that server instead (and dropped at the end), with
   --redis-url the django-q2 broker is that Redis database, which must be empty (its keys are removed at the end).
3. The vendor simulator runs in a thread of this process at zero latency, with only imagetasks registered, and
   every result it hands out is that one PNG: no image is encoded while the clock runs. Each result still has
   its own URL, and the worker stores each as its own file with its own row.
4. Real `manage.py qcluster` processes on the throw-away settings (Q_WORKERS as the settings say), and a
   "studio side" process (`manage.py shell`, same settings) that sets up a team, its points, the vendor account
   and a project, waits until the cluster has settled, then on our word submits ONE run and watches it.

The vendor: imagetasks text → image with gpt-image-2 at 1024x1024 and n=8, so 400 outputs are 50 vendor tasks.
It is the one model of the catalogue that returns several images per call, which is how a team would ask for
400 listing images; NanoBanana (n=1 per task) would measure the per-task overhead 8× over instead (pass
per_call=1 to `run_pipeline` to see that). Vendor calls are the simulator's count of imagetasks API requests
(submits and polls); result downloads go to its file host and are shown beside them.

Worker CPU is utime + stime of every process of the qcluster's session (it is started in a session of its own),
read from /proc just before the run is submitted and again as soon as it is over, plus cutime + cstime, which
hold the time of children already reaped (a recycled worker). getrusage(RUSAGE_CHILDREN) is not used: it only
counts processes once they have been waited for, so it could be read only after the cluster stopped (startup and
shutdown in it), it loses workers whose parent was killed, and it would mix in migrate and the studio side.
"""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import CommandError

from studio.benchmarks.upload import manage, noisy_image, temporary_folder
from studio.simulator.app import vendor_simulator_module
from studio.simulator.core import Request, Response, SimTask, Simulator, make_server

VENDOR = "imagetasks"
MODEL = "gpt-image-2"
SIZE = 1024
PER_CALL = 8  # gpt-image-2 takes n up to 8 per task
POLL_INTERVAL = 0.2
MAX_CONCURRENT_TASKS = 16
NOISE_SIGMA = 4  # with Pillow's default PNG compression, about 1.7 MB at 1024 × 1024
PROMPT = "spring catalogue, product on a plain studio background, soft daylight"

STARTUP_SECONDS = 90
WATCH_EVERY = 0.2
STOP_SECONDS = 5
MARK = "BENCHMARK "  # the studio side's lines for us on its stdout; anything else there is ignored
LOG_TAIL = 3000


@dataclass
class PipelineResult:
    configuration: str
    workers: int
    cores: int
    outputs: int
    per_call: int
    png_bytes: int
    state: str
    seconds: float
    worker_cpu_seconds: float
    simulator_cpu_seconds: float
    machine_busy_seconds: float  # every core's non-idle time while the run ran, whoever used it
    sampled_seconds: float  # the wall time between the CPU readings
    vendor_tasks: int
    submits: int
    polls: int
    downloads: int
    rows: int
    stored: int  # distinct files among them
    thumbnails: int
    missing_files: int
    task_states: dict[str, int]
    task_errors: list[str]
    reconcile: str
    reconcile_ok: bool

    @property
    def vendor_calls(self) -> int:
        return self.submits + self.polls

    @property
    def outputs_per_second(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0

    @property
    def worker_cpu_ms_per_output(self) -> float:
        return self.worker_cpu_seconds * 1000 / self.outputs

    @property
    def problems(self) -> list[str]:
        found = []
        if self.state != "succeeded":
            found.append(f"the run ended {self.state}, not succeeded (tasks: {self.task_states})")
        if self.rows != self.outputs or self.stored != self.outputs:
            found.append(f"{self.rows} output rows and {self.stored} distinct files stored, {self.outputs} expected")
        if self.thumbnails != self.rows:
            found.append(f"{self.rows - self.thumbnails} outputs have no thumbnail")
        if self.missing_files:
            found.append(f"{self.missing_files} stored files are missing from the media folder")
        if not self.reconcile_ok:
            found.append(f"reconcile_points failed: {self.reconcile}")
        return found + self.task_errors


def run_pipeline(
    *,
    outputs: int,
    database_url: str = "",
    redis_url: str = "",
    keep: bool = False,
    per_call: int = PER_CALL,
    log: Callable[[str], Any],
) -> PipelineResult:
    png = premade_png(SIZE)
    log(f"Made one {SIZE}×{SIZE} PNG of {len(png) / 2**20:.2f} MB; the simulator serves it as every result.")
    with ExitStack() as stack:
        folder = stack.enter_context(temporary_folder(keep, log))
        var_dir = folder / "var"
        var_dir.mkdir()
        database = stack.enter_context(_throwaway_postgres(database_url, log))
        broker = stack.enter_context(_empty_redis_db(redis_url, log))
        simulator = stack.enter_context(_simulator(png))
        env = _env(var_dir, database, broker, simulator, outputs, per_call)
        log("Migrating the throw-away database …")
        manage(env, "migrate", "--noinput")
        cluster = stack.enter_context(_qcluster(env, folder / "qcluster.log", log))
        studio = stack.enter_context(_StudioSide.started(env, folder / "studio.log"))
        setup = studio.expect("setup", STARTUP_SECONDS, cluster)
        log(f"Waiting for the {setup['workers']} qcluster workers to settle …")
        studio.expect("ready", STARTUP_SECONDS, cluster)

        cpu_before, own_before = tree_cpu_seconds(cluster.pid), time.process_time()
        machine_before, wall_before = machine_busy_seconds(), time.monotonic()
        calls_before, downloads_before = Counter(simulator.calls), simulator.downloads
        log(f"Submitting one run of {outputs} outputs ({setup['tasks']} vendor tasks) …")
        studio.send("go")
        finished = studio.expect("finished", _run_timeout(outputs), cluster)
        worker_cpu = tree_cpu_seconds(cluster.pid) - cpu_before
        simulator_cpu = time.process_time() - own_before
        machine_busy, sampled = machine_busy_seconds() - machine_before, time.monotonic() - wall_before
        calls = Counter(simulator.calls)
        calls.subtract(calls_before)
        downloads = simulator.downloads - downloads_before

        checked = studio.expect("verified", STARTUP_SECONDS, cluster)
        reconcile_ok, reconcile = _reconcile(env)
    return PipelineResult(
        configuration=_configuration(setup),
        workers=setup["workers"],
        cores=os.cpu_count() or 1,
        outputs=outputs,
        per_call=per_call,
        png_bytes=len(png),
        state=finished["state"],
        seconds=finished["seconds"],
        worker_cpu_seconds=worker_cpu,
        simulator_cpu_seconds=simulator_cpu,
        machine_busy_seconds=machine_busy,
        sampled_seconds=sampled,
        vendor_tasks=len(simulator.tasks),
        submits=sum(n for key, n in calls.items() if key.startswith(f"{VENDOR} POST ")),
        polls=sum(n for key, n in calls.items() if key.startswith(f"{VENDOR} GET ")),
        downloads=downloads,
        rows=checked["rows"],
        stored=checked["stored"],
        thumbnails=checked["thumbnails"],
        missing_files=checked["missing_files"],
        task_states=checked["task_states"],
        task_errors=checked["task_errors"],
        reconcile=reconcile,
        reconcile_ok=reconcile_ok,
    )


def _run_timeout(outputs: int) -> float:
    return 60 + outputs * 0.5  # 2 outputs/s at the very least, far below the target


def _configuration(setup: dict) -> str:
    database = {"sqlite": "SQLite (embedded)", "postgresql": "PostgreSQL"}.get(setup["database"], setup["database"])
    broker = "Redis broker" if setup["broker"] == "redis" else "ORM broker"
    return f"{database} + django-q2 {broker}"


# The result file


def premade_png(side: int) -> bytes:
    """The one result file served for every output: photo-like, about 1.7 MB at 1024 × 1024."""
    buffer = io.BytesIO()
    noisy_image(side, side, NOISE_SIGMA).save(buffer, "PNG")
    return buffer.getvalue()


# The simulator


class PremadeResultsSimulator(Simulator):
    """The simulator, except that every task's results are the one pre-made PNG (stored under a URL per result)."""

    def __init__(self, png: bytes, **kwargs):
        super().__init__(**kwargs)
        self.png = png
        self.downloads = 0

    def add_task(self, vendor: str, make_results: Callable[[], list[Any]], **kwargs) -> SimTask:
        count = kwargs.get("n", 1)  # imagetasks keeps the request's fields, n among them, with the task

        def premade() -> list[str]:
            return [self.store_file(self.png, "image/png", suffix=".png") for _ in range(count)]

        return super().add_task(vendor, premade, **kwargs)

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_files/"):
            with self.lock:
                self.downloads += 1
        return super().handle(request)


@contextmanager
def _simulator(png: bytes) -> Iterator[PremadeResultsSimulator]:
    simulator = PremadeResultsSimulator(png, latency=0)
    vendor_simulator_module(VENDOR).register(simulator)
    simulator.state[VENDOR]["balance"] = 10**9  # its quota must not be what stops a large run
    server = make_server(simulator, port=0)
    simulator.public_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield simulator
    finally:
        server.shutdown()
        server.server_close()


# Throw-away database and broker


@contextmanager
def _throwaway_postgres(server_url: str, log: Callable) -> Iterator[str]:
    """A new, empty database on the server of `server_url` (connected to through the database it names); dropped."""
    if not server_url:
        yield ""
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise CommandError("--database-url must be a postgres:// URL (the server to make a throw-away database on).")
    maintenance = parts if parts.path.strip("/") else parts._replace(path="/postgres")
    name = f"studio_bench_{os.getpid()}"
    try:
        with psycopg.connect(urlunsplit(maintenance), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise CommandError(f"Could not create the throw-away database {name}: {error}") from None
    log(f"Created the throw-away PostgreSQL database {name} on {parts.hostname}:{parts.port or 5432}.")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(urlunsplit(maintenance), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        log(f"Dropped {name}.")


@contextmanager
def _empty_redis_db(url: str, log: Callable) -> Iterator[str]:
    """A Redis database that holds nothing yet, so no other cluster's queue is in it; our keys go at the end."""
    if not url:
        yield ""
        return
    import redis

    client = redis.Redis.from_url(url)
    number = client.connection_pool.connection_kwargs.get("db", 0)
    try:
        keys = client.dbsize()
    except redis.RedisError as error:
        raise CommandError(f"Could not reach Redis at --redis-url: {error}") from None
    if keys:
        raise CommandError(
            f"Redis database {number} already holds {keys} keys. Give the number of an unused database "
            f"(e.g. redis://host:6379/14), so the benchmark's queue cannot meet anything else's."
        )
    log(f"Using the empty Redis database {number} as the broker.")
    try:
        yield url
    finally:
        ours = list(client.scan_iter("django_q:*"))
        if ours:
            client.delete(*ours)
        client.close()


def _env(var_dir: Path, database: str, broker: str, simulator: Simulator, outputs: int, per_call: int) -> dict:
    env = {
        **os.environ,
        "STUDIO_VAR_DIR": str(var_dir),
        "DEBUG": "1",
        "DATABASE_URL": database,
        "REDIS_URL": broker,
        "STORAGE_BACKEND": "filesystem",
        "VENDOR_ALLOWED_PRIVATE_HOSTS": simulator.public_url.removeprefix("http://"),
        "BENCHMARK_SIMULATOR_URL": simulator.public_url,
        "BENCHMARK_OUTPUTS": str(outputs),
        "BENCHMARK_PER_CALL": str(per_call),
    }
    # Unset, not empty (settings read an empty variable as its value): SQLite in STUDIO_VAR_DIR, the ORM broker.
    return {name: value for name, value in env.items() if value or name not in ("DATABASE_URL", "REDIS_URL")}


def _reconcile(env: dict) -> tuple[bool, str]:
    try:
        return True, manage(env, "reconcile_points").strip()
    except CommandError as error:
        return False, str(error)


# The worker


@dataclass
class Cluster:
    pid: int  # also its session id
    log_path: Path


@contextmanager
def _qcluster(env: dict, log_path: Path, log: Callable) -> Iterator[Cluster]:
    """`manage.py qcluster` in a session of its own (for the CPU count, and so Ctrl-C reaches us, not it)."""
    log_file = open(log_path, "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield Cluster(process.pid, log_path)
    finally:
        _stop_session(process)
        log_file.close()
        log(f"Stopped qcluster (pid {process.pid}).")


def _stop_session(process: subprocess.Popen) -> None:
    """SIGTERM (django-q2 stops its workers), then SIGKILL for whatever of its session is left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_SECONDS)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def tree_cpu_seconds(session: int) -> float:
    """CPU seconds of every process in `session` so far, with those of its children already reaped."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # gone meanwhile
        # fields[0] is field 3 of proc(5): session is field 6, utime … cstime are fields 14 … 17.
        if int(fields[3]) == session:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """Non-idle CPU seconds of the whole machine since boot, summed over its cores (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# The studio side, as seen from here


class _StudioSide:
    """The process that sets up and submits through the studio's own services; speaks in MARK lines."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    @contextmanager
    def started(cls, env: dict, log_path: Path) -> Iterator[_StudioSide]:
        command = "from studio.benchmarks.pipeline import studio_side; studio_side()"
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "shell", "--verbosity", "0", "--command", command],
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                start_new_session=True,
            )
            try:
                yield cls(process, log_path)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith(MARK):
                self.events.put(json.loads(line.removeprefix(MARK)))
        self.events.put(None)  # it ended

    def send(self, word: str) -> None:
        self.process.stdin.write(f"{word}\n")
        self.process.stdin.flush()

    def expect(self, name: str, timeout: float, cluster: Cluster) -> dict:
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            raise CommandError(
                f"No '{name}' from the studio side within {timeout:.0f} s.{self._logs(cluster)}"
            ) from None
        if event is None:
            self.process.wait()
            raise CommandError(f"The studio side stopped before '{name}'.{self._logs(cluster)}")
        if event["event"] == "error":
            raise CommandError(f"{event['message']}{self._logs(cluster)}")
        if event["event"] != name:
            raise CommandError(f"Expected '{name}' from the studio side, got {event}.")
        return event

    def _logs(self, cluster: Cluster) -> str:
        studio = self.log_path.read_text(errors="replace")[-LOG_TAIL:]
        worker = cluster.log_path.read_text(errors="replace")[-LOG_TAIL:]
        return f"\n--- studio side ---\n{studio}\n--- qcluster ---\n{worker}"


# The studio side itself: runs in `manage.py shell` on the throw-away settings


def studio_side() -> None:
    """Sets up, waits for the cluster, submits one run on "go" from stdin, watches it end and checks what it left."""
    outputs = int(os.environ["BENCHMARK_OUTPUTS"])
    per_call = int(os.environ["BENCHMARK_PER_CALL"])
    try:
        project, user, offering, calls = _set_up(os.environ["BENCHMARK_SIMULATOR_URL"], outputs, per_call)
        _emit(
            "setup",
            workers=settings.Q_CLUSTER["workers"],
            database=_database_vendor(),
            broker="redis" if settings.REDIS_URL else "orm",
            tasks=len(calls),
        )
        _wait_for_the_cluster()
        _emit("ready")
        if sys.stdin.readline().strip() != "go":
            return
        run, seconds = _submit_and_watch(project, user, offering, calls, _run_timeout(outputs))
        _emit("finished", state=run.state, seconds=seconds)
        _emit("verified", **_check(run))
    except Exception as error:
        _emit("error", message=f"{type(error).__name__}: {error}")
        raise


def _emit(event: str, **values) -> None:
    print(MARK + json.dumps({"event": event, **values}), flush=True)


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def _set_up(simulator_url: str, outputs: int, per_call: int):
    from studio.accounts.models import Membership, Team, User
    from studio.points.services import points_grant
    from studio.projects.models import Project
    from studio.runs.services import PlannedCall, runs_estimate
    from studio.simulator.app import demo_credentials
    from studio.vendors.models import Offering, VendorAccount
    from studio.vendors.operations import Operation
    from studio.vendors.services import offerings_load

    team = Team.objects.create(name="Benchmark team")
    user = User.objects.create_user(username="benchmark")
    Membership.objects.create(user=user, team=team, role="staff")
    project = Project.objects.create(team=team, name="Benchmark", created_by=user)
    account = VendorAccount(
        kind=VENDOR,
        name=f"{VENDOR} simulator",
        base_url=simulator_url,
        poll_interval_seconds=POLL_INTERVAL,
        max_concurrent_tasks=MAX_CONCURRENT_TASKS,
    )
    account.set_credentials(demo_credentials(VENDOR))
    account.save()
    offerings_load(account=account)
    offering = Offering.objects.get(account=account, operation=Operation.TEXT_TO_IMAGE, model=MODEL)
    sizes = [per_call] * (outputs // per_call) + ([outputs % per_call] if outputs % per_call else [])
    calls = [
        PlannedCall({"prompt": f"{PROMPT} #{number}", "size": f"{SIZE}x{SIZE}", "n": n})
        for number, n in enumerate(sizes)
    ]
    estimate = runs_estimate(offering=offering, calls=calls)
    points_grant(team=team, amount=estimate.points, reason="benchmark budget", user=None, key="benchmark-grant")
    return project, user, offering, calls


def _wait_for_the_cluster() -> None:
    """Until every worker process has started (and with it its claimer, studio/runs/engine.py).

    A no-op task per worker, each done once a worker has run it: submitting earlier would time the
    cluster's start-up, not the pipeline.
    """
    from django_q.models import Task as QueuedTask
    from django_q.tasks import async_task

    names = [
        async_task("math.floor", 1.0, task_name=f"benchmark-warm-up-{n}") for n in range(settings.Q_CLUSTER["workers"])
    ]
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if QueuedTask.objects.filter(id__in=names).count() == len(names):
            return
        time.sleep(WATCH_EVERY)
    raise TimeoutError(f"the qcluster workers did not start within {STARTUP_SECONDS} s")


def _submit_and_watch(project, user, offering, calls, timeout: float):
    from django.utils import timezone

    from studio.runs.services import runs_submit

    started = timezone.now()
    run = runs_submit(project=project, offering=offering, user=user, calls=calls)
    deadline = time.monotonic() + timeout
    while not run.is_finished and time.monotonic() < deadline:
        time.sleep(WATCH_EVERY)
        run.refresh_from_db()
    if not run.is_finished:
        return run, (timezone.now() - started).total_seconds()
    return run, (run.finished_at - started).total_seconds()  # the worker's own clock: no polling delay in it


def _check(run) -> dict:
    from django.core.files.storage import default_storage

    from studio.runs.models import OutputKind, TaskState

    outputs = list(run.outputs.filter(kind=OutputKind.IMAGE).values_list("file", "thumbnail"))
    missing = sum(not default_storage.exists(name) for file, thumbnail in outputs for name in (file, thumbnail) if name)
    states = Counter(run.tasks.values_list("state", flat=True))
    errors = [
        f"task {index}: {state}: {message}"
        for index, state, message in run.tasks.exclude(state=TaskState.SUCCEEDED).values_list(
            "index", "state", "error_message"
        )[:5]
    ]
    return {
        "rows": len(outputs),
        "stored": len({file for file, _thumbnail in outputs}),
        "thumbnails": sum(bool(thumbnail) for _file, thumbnail in outputs),
        "missing_files": missing,
        "task_states": dict(states),
        "task_errors": errors,
    }
