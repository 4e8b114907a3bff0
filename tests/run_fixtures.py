"""Fixtures for runs: the simulator over HTTP, vendor accounts on it, points, products, real qcluster processes."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image

from studio.assets.ingest import asset_ingest
from studio.assets.models import Asset
from studio.points.services import points_grant
from studio.runs.engine import claim_due_tasks
from studio.runs.models import Run
from studio.runs.worker import task_step
from studio.simulator.app import build_simulator, demo_credentials
from studio.simulator.core import make_server
from studio.vendors.catalogue import KINDS
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load
from tests import images
from tests.images import upload


@pytest.fixture
def simulator(settings):
    engine = build_simulator(latency=0.3)
    server = make_server(engine, port=0)
    engine.public_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings.VENDOR_ALLOWED_PRIVATE_HOSTS = [engine.public_url.removeprefix("http://")]
    yield engine
    server.shutdown()


@pytest.fixture
def studio_for_vendors(live_server, settings):
    """Vendors fetch inputs from the studio itself, through its signed input URLs."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def accounts(simulator, studio_for_vendors):
    made = {}
    for kind in KINDS:
        account = VendorAccount(
            kind=kind,
            name=f"{kind} sim",
            base_url=simulator.public_url,
            poll_interval_seconds=0.1,
            max_concurrent_tasks=10,
        )
        account.set_credentials(demo_credentials(kind))
        account.save()
        offerings_load(account=account)
        made[kind] = account
    return made


@pytest.fixture
def funded(team, admin):
    points_grant(team=team, amount=10_000, reason="test budget", user=admin, key="test-grant")
    return team


def offerings_everywhere():
    """Every vendor's catalogue, on accounts no test calls (no vendor traffic)."""
    for kind in KINDS:
        account = VendorAccount.objects.create(kind=kind, name=kind, base_url="https://vendor.invalid")
        offerings_load(account=account)
    return Offering.objects


@pytest.fixture
def offerings(db):
    return offerings_everywhere()


@pytest.fixture
def rich(team, admin):
    points_grant(team=team, amount=1000, reason="budget", user=admin, key="budget")
    return team


@pytest.fixture
def products(project, staff):
    colours = ["#c0392b", "#2e8b57", "#4a6fa5", "#e1b12c", "#8e44ad", "#16a085"]
    return [
        asset_ingest(
            project=project,
            upload=upload(f"product-{n}.png", images.encode(Image.new("RGB", (320, 400), colour), "PNG")),
            user=staff,
        ).asset
        for n, colour in enumerate(colours)
    ]


def many_products(project, staff, count: int) -> list[Asset]:
    """`count` distinct product photos; past the first few they are rows sharing one stored file (quick)."""
    made = [
        asset_ingest(
            project=project, upload=upload(f"p{n}.png", images.encode(Image.new("RGB", (64, 80), (n, 90, 160)), "PNG")),
            user=staff,
        ).asset
        for n in range(min(count, 3))
    ]  # fmt: skip
    model = made[0]
    Asset.objects.bulk_create(
        Asset(
            project=project,
            role="product",
            original_name=f"SKU-{n:05}.png",
            file=model.file.name,
            thumbnail=model.thumbnail.name,
            content_type=model.content_type,
            width=model.width,
            height=model.height,
            byte_size=model.byte_size,
            sha256=f"{n:064}",
            uploaded_by=staff,
        )  # fmt: skip
        for n in range(len(made), count)
    )
    return list(Asset.objects.filter(project=project).order_by("pk"))


def wash_form(offerings, products, **extra):
    offering = offerings.get(account__kind="imagewash", operation="wash", model="nanoBanana2")
    return {
        "operation": "wash",
        "offering": offering.pk,
        "param_prompt": "on a sunny terrace",
        "param_count": "2",
        "input_product": [asset.pk for asset in products],
        **extra,
    }


def drive(run: Run, *, timeout: float = 30.0) -> Run:
    """Plays the engine in this thread until the run is over."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            return run
        for task_id, token in claim_due_tasks():
            task_step(task_id, token)
        time.sleep(0.05)
    raise AssertionError(
        f"run {run.pk} did not finish in {timeout} s: {list(run.tasks.values('state', 'error_message'))}"
    )


ROOT = Path(__file__).resolve().parents[1]


def shared_database_url() -> str:
    """The URL of the database this test runs on, for a worker process to share it."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def qcluster(settings, media_storage, tmp_path):
    """Starts real `manage.py qcluster` processes on the test database; `kill()` is kill -9 of the whole cluster."""
    processes = []

    class Cluster:
        def start(self) -> subprocess.Popen:
            env = {
                **os.environ,
                "DATABASE_URL": shared_database_url(),
                "STUDIO_VAR_DIR": str(media_storage.parent),
                "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
                "VENDOR_ALLOWED_PRIVATE_HOSTS": ",".join(settings.VENDOR_ALLOWED_PRIVATE_HOSTS),
                "TASK_CLAIM_SECONDS": "5",
                "STUDIO_PROCESS": "worker",  # the live server's wsgi.py marked this process as a web one
                "Q_WORKERS": "3",
                "DEBUG": "1",
            }
            log = open(tmp_path / f"qcluster-{len(processes)}.log", "wb")  # noqa: SIM115 (closed with the process)
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append((process, log))
            return process

        def kill(self, only: subprocess.Popen | None = None) -> None:
            for process, _log in processes:
                if process.poll() is None and only in (None, process):
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

        def logs(self) -> str:
            return "\n".join(
                path.read_text(errors="replace")[-3000:] for path in sorted(tmp_path.glob("qcluster-*.log"))
            )

    cluster = Cluster()
    yield cluster
    cluster.kill()
    for _process, log in processes:
        log.close()
    if connection.vendor == "postgresql":
        # A killed worker's sessions linger for a moment; the test database cannot be dropped while they do.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group: a cluster's main process, sentinel and workers."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def describe_processes(pgid: int) -> str:
    """What each live process of a group is and where it stands, for a test that found it still running."""
    lines = []
    for pid in process_group(pgid):
        proc = Path("/proc", str(pid))
        try:
            command = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]
            threads = len(list(proc.joinpath("task").iterdir()))
        except OSError:
            continue
        lines.append(f"{pid} {state} threads={threads} {command}")
    return "\n".join(lines)


def wait_for(run: Run, *, timeout: float, cluster=None) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            return run
        time.sleep(0.2)
    logs = cluster.logs() if cluster else ""
    raise AssertionError(f"run {run.pk} unfinished: {list(run.tasks.values_list('state', flat=True))}\n{logs}")
