"""`manage.py benchmark gallery`: the gallery page and the ZIP download, on a throw-away SQLite database.

The requirement: "a project with 10,000 outputs; a filtered gallery page of 60 items: the number of SQL
queries (the same for 60 as for 10,000 rows, at most 10) and the median and 95th-percentile server time
(target p95 under 50 ms with SQLite); the ZIP of 1,000 images: seconds and the peak memory growth of the
process (target under 50 MB)." How it runs:

1. A fresh SQLite database (migrated, in WAL mode as the studio runs it) and media folder in a temporary folder,
   created the way the test runner creates its database: nothing of the caller's data is touched.
2. A project whose first 60 outputs all match the filter (imagewash, pending): the page's queries are counted.
   Then it grows to 10,000 outputs with bulk_create (40 runs over 4 vendors, 200 products, all three review
   states, each output with its own tiny thumbnail file) and the same page is counted again.
3. The page is requested through Django's test client, in this process, signed in as a reviewer: the time is
   the whole server side (middleware, session, queries, template), without a network.
4. 1,000 of the outputs are approved and have a real ~0.4 MB PNG each (one photo-like image, made before
   the clock runs). Their ZIP is streamed into a file; the process's resident memory is sampled every 5 ms
   during a first pass (the time), and Python's allocations are traced during a second (tracemalloc slows
   the code, so it never runs while the clock does). The archive is then read back and checked.
"""

from __future__ import annotations

import io
import os
import statistics
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from studio.benchmarks.upload import noisy_image, temporary_folder

RUNS = 40
PRODUCTS = 200
VENDORS = [("imagewash", "wash"), ("hdredraw", "upscale"), ("imagetasks", "image_to_image"), ("lingtu", "try_on")]
FILTER = "?state=pending&vendor=imagewash"
PAGE_ITEMS = 60
REQUESTS = 100
WARM_UP = 5
ZIP_SIDE = 512
SAMPLE_SECONDS = 0.005


@dataclass
class Timing:
    label: str
    median_ms: float
    p95_ms: float
    cpu_median_ms: float  # this process's CPU per request: what the page costs, whatever else the machine runs


@dataclass
class GalleryResult:
    outputs: int
    queries_small: int
    queries_large: int
    items_small: int
    items_large: int
    timings: list[Timing]
    zip_images: int
    zip_bytes: int
    zip_seconds: float
    zip_rss_growth_mb: float
    zip_python_peak_mb: float
    zip_entries: int
    zip_ok: bool
    bulk_outputs: int  # images approved by one "all matching" request
    bulk_seconds: float
    load_average: float  # of the machine while the pages were timed: other work there slows them down


def run_gallery(*, outputs: int = 10_000, zip_images: int = 1_000, keep: bool = False, log: Callable) -> GalleryResult:
    with temporary_folder(keep, log) as folder, _throwaway_database(folder, log):
        png = _premade_png()
        log("Building the project ...")
        world = _World.create(folder)
        world.add_outputs(PAGE_ITEMS, matching=True)
        client = world.client()
        small_queries, small_items = _count_queries(client, world.page_url)
        log(f"Growing it to {outputs} outputs ...")
        world.add_outputs(outputs - PAGE_ITEMS, matching=False)
        with connection.cursor() as cursor:  # fold the bulk inserts into the database file, as SQLite soon would
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        large_queries, large_items = _count_queries(client, world.page_url)
        log(f"Timing {REQUESTS} requests of each page ...")
        load_average = os.getloadavg()[0]
        timings = [
            _time(client, "filtered page, newest first", world.page_url),
            _time(client, "filtered page, by product", world.page_url + "&sort=product"),
            _time(client, "grouped by product (8 groups)", world.page_url + "&group=product"),
            _time(client, "viewer of one output", world.viewer_url),
        ]
        log(f"Approving {zip_images} outputs with a {len(png) / 2**20:.2f} MB PNG each ...")
        world.approve_with_files(zip_images, png)
        zip_path = folder / "approved.zip"
        zip_url = reverse("review:download", args=[world.project.pk])
        seconds, size, rss_growth = _stream_to_file(client, zip_url, zip_path, sample_rss=True)
        _seconds, _size, python_peak = _stream_to_file(client, zip_url, zip_path, trace=True)
        entries, ok = _check_zip(zip_path, zip_images)
        bulk_outputs, bulk_seconds = _approve_all_matching(client, world)
        return GalleryResult(
            outputs=world.count(),
            queries_small=small_queries,
            queries_large=large_queries,
            items_small=small_items,
            items_large=large_items,
            timings=timings,
            zip_images=zip_images,
            zip_bytes=size,
            zip_seconds=seconds,
            zip_rss_growth_mb=rss_growth / 2**20,
            zip_python_peak_mb=python_peak / 2**20,
            zip_entries=entries,
            zip_ok=ok,
            bulk_outputs=bulk_outputs,
            bulk_seconds=bulk_seconds,
            load_average=max(load_average, os.getloadavg()[0]),
        )


@contextmanager
def _throwaway_database(folder: Path, log: Callable) -> Iterator[None]:
    """A migrated SQLite file in `folder`, made and dropped as the test runner does, with its own media folder."""
    if connection.vendor != "sqlite":
        raise CommandError("The gallery benchmark measures SQLite: run it without DATABASE_URL.")
    test_settings = connection.settings_dict.setdefault("TEST", {})
    saved_test_name = test_settings.get("NAME")
    test_settings["NAME"] = str(folder / "benchmark.sqlite3")
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}},
    }
    log("Creating a throw-away SQLite database ...")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        # As in production (no query log); the test client's host allowed. setup_test_environment() is not used:
        # it instruments every template render, which would cost more than the rendering itself.
        with override_settings(STORAGES=storages, DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = saved_test_name


def _premade_png() -> bytes:
    buffer = io.BytesIO()
    noisy_image(ZIP_SIDE, ZIP_SIDE).save(buffer, "PNG")
    return buffer.getvalue()


class _World:
    """The benchmark's team, reviewer, project, runs and outputs."""

    def __init__(self, folder, project, reviewer, runs, products):
        self.folder, self.project, self.reviewer, self.runs, self.products = folder, project, reviewer, runs, products
        self.made = 0

    @classmethod
    def create(cls, folder: Path) -> _World:
        from studio.accounts.models import Membership, Role, Team, User
        from studio.assets.models import Asset
        from studio.projects.models import Project
        from studio.runs.models import Run, RunState, Task
        from studio.vendors.models import Offering, VendorAccount
        from studio.vendors.services import offerings_load

        team = Team.objects.create(name="Benchmark team")
        reviewer = User.objects.create_user(username="benchmark-reviewer")
        Membership.objects.create(user=reviewer, team=team, role=Role.REVIEWER)
        project = Project.objects.create(team=team, name="Benchmark gallery")
        tiny = _tiny_file(folder, "tiny.webp")
        products = Asset.objects.bulk_create(
            Asset(project=project, original_name=f"Product {n:03d}.jpg", file=tiny, thumbnail=tiny,
                  content_type="image/jpeg", width=800, height=800, byte_size=100, sha256=f"{n:064d}")
            for n in range(PRODUCTS)
        )  # fmt: skip
        runs = []
        for n in range(RUNS):
            kind, operation = VENDORS[n % len(VENDORS)]
            account = VendorAccount.objects.filter(kind=kind).first()
            if account is None:
                account = VendorAccount.objects.create(kind=kind, name=kind, base_url="https://vendor.invalid")
                offerings_load(account=account)
            offering = Offering.objects.filter(account=account, operation=operation).first()
            run = Run.objects.create(
                project=project, offering=offering, operation=operation, state=RunState.SUCCEEDED,
                params={"prompt": "on a sunny terrace"}, created_by=reviewer, finished_at=timezone.now(),
            )  # fmt: skip
            run.task = Task.objects.create(
                run=run, account=account, index=0, idempotency_key=f"benchmark-{n}", request={},
                outputs_expected=0, points_per_output=4, next_action_at=timezone.now(),
            )  # fmt: skip
            runs.append(run)
        return cls(folder, project, reviewer, runs, products)

    def add_outputs(self, count: int, *, matching: bool) -> None:
        """`matching`: every one on imagewash and pending (the filter's page); otherwise every vendor and state."""
        from studio.runs.models import Output, ReviewState, RunInput

        states = [ReviewState.PENDING, ReviewState.PENDING, ReviewState.APPROVED, ReviewState.REJECTED]
        batch = []
        for n in range(self.made, self.made + count):
            run = self.runs[0] if matching else self.runs[n % RUNS]
            thumbnail = _tiny_file(self.folder, f"thumbs/{n}.webp")
            batch.append(
                Output(
                    run=run,
                    project=self.project,
                    task=run.task,
                    index=n,
                    source_asset=self.products[n % PRODUCTS],
                    file=thumbnail,
                    thumbnail=thumbnail,
                    content_type="image/png",
                    width=1024,
                    height=1024,
                    byte_size=100,
                    sha256=f"{n:064d}",
                    review_state=ReviewState.PENDING if matching else states[n % len(states)],
                )
            )
        Output.objects.bulk_create(batch, batch_size=1000)
        self.made += count
        RunInput.objects.bulk_create(
            (
                RunInput(run=run, asset=self.products[n % PRODUCTS], role="product")
                for run in ({self.runs[0]} if matching else self.runs)
                for n in range(min(count, PRODUCTS))
            ),
            batch_size=1000,
        )

    def approve_with_files(self, count: int, png: bytes) -> None:
        from studio.runs.models import Output, ReviewState

        chosen = list(Output.objects.filter(run__project=self.project).exclude(run=self.runs[0]).order_by("pk")[:count])
        for output in chosen:
            name = f"outputs/{output.pk}.png"
            path = self.folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
            output.file, output.byte_size, output.review_state = name, len(png), ReviewState.APPROVED
        Output.objects.bulk_update(chosen, ["file", "byte_size", "review_state"], batch_size=500)
        Output.objects.filter(run__project=self.project, review_state=ReviewState.APPROVED).exclude(
            pk__in=[output.pk for output in chosen]
        ).update(review_state=ReviewState.REJECTED)

    def count(self) -> int:
        from studio.runs.models import Output

        return Output.objects.filter(run__project=self.project).count()

    def client(self) -> Client:
        client = Client()
        client.force_login(self.reviewer)
        client.get(self.page_url)  # the first visit stores the current team in the session
        return client

    @property
    def page_url(self) -> str:
        return reverse("review:project", args=[self.project.pk]) + FILTER

    @property
    def viewer_url(self) -> str:
        from studio.runs.models import Output

        output = Output.objects.filter(run=self.runs[0]).order_by("-pk")[PAGE_ITEMS // 2]
        return reverse("review:viewer", args=[output.pk]) + FILTER


def _tiny_file(folder: Path, name: str) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    )
    return name


def _count_queries(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return len(queries), response.content.decode().count('class="review-card')


def _time(client: Client, label: str, url: str) -> Timing:
    for _ in range(WARM_UP):
        client.get(url)
    samples, cpu = [], []
    for _ in range(REQUESTS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    samples.sort()
    return Timing(label, statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statistics.median(cpu))


def _stream_to_file(client: Client, url: str, path: Path, *, sample_rss=False, trace=False) -> tuple[float, int, int]:
    """Seconds, bytes, and the memory growth while streaming (RSS sampled, or traced Python allocations)."""
    sampler = _RssSampler() if sample_rss else None
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
        traced_before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    if sampler:
        sampler.start()
    response = client.get(url)
    size = 0
    with path.open("wb") as sink:
        for chunk in response.streaming_content:
            sink.write(chunk)
            size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    growth = 0
    if sampler:
        growth = sampler.stop()
    if trace:
        growth = tracemalloc.get_traced_memory()[1] - traced_before
        tracemalloc.stop()
    return seconds, size, growth


class _RssSampler:
    def __init__(self):
        self.baseline = _rss()
        self.peak = self.baseline
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss())
            time.sleep(SAMPLE_SECONDS)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return max(0, max(self.peak, _rss()) - self.baseline)


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _approve_all_matching(client: Client, world: _World) -> tuple[int, float]:
    """One bulk request, "all matching" ticked on the unfiltered gallery: every image not yet approved."""
    from studio.runs.models import Output, ReviewState

    pending = Output.objects.filter(run__project=world.project).exclude(review_state=ReviewState.APPROVED).count()
    started = time.perf_counter()
    response = client.post(reverse("review:bulk", args=[world.project.pk]), {"action": "approve", "all_matching": "1"})
    seconds = time.perf_counter() - started
    left = Output.objects.filter(run__project=world.project).exclude(review_state=ReviewState.APPROVED).count()
    if response.status_code != 302 or left:
        raise CommandError(f"bulk approval failed: HTTP {response.status_code}, {left} images not approved")
    return pending, seconds


def _check_zip(path: Path, expected: int) -> tuple[int, bool]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        ok = archive.testzip() is None and len(set(names)) == len(names) == expected + 1 and names[-1] == "manifest.csv"
        return len(names), ok
