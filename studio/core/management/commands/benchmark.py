"""`manage.py benchmark <which>`: upload, vendors, pipeline, gallery, faults, reconcile, engine or pages, one
module each in studio/benchmarks/ (tools that import the apps, never imported by them)."""

import argparse
import os

from django.core.management.base import BaseCommand, CommandError

from studio.benchmarks import engine as engine_benchmark
from studio.benchmarks import faults as fault_benchmark
from studio.benchmarks import gallery as gallery_benchmark
from studio.benchmarks import pages as pages_benchmark
from studio.benchmarks import pipeline as pipeline_benchmark
from studio.benchmarks import reconcile as reconcile_benchmark
from studio.benchmarks import upload as benchmarks
from studio.benchmarks import vendors as vendor_benchmark

UPLOAD_TARGET_MS = 80
UPLOAD_TARGET_MB = 400
PIPELINE_TARGET_PER_SECOND = 25
PIPELINE_TARGET_CPU_MS = 70
GALLERY_MAX_QUERIES = 10
GALLERY_TARGET_P95_MS = 50
ZIP_TARGET_MB = 50
FAILURES_SHOWN = 5


class Command(BaseCommand):
    help = (
        "Runs a benchmark: upload (a real server on a throw-away database), vendors (against the simulator) "
        "pipeline (vendor results through a real qcluster on a throw-away database) "
        "or gallery (gallery pages and the ZIP of approved images on a throw-away SQLite database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("which", choices=sorted(self.benchmarks()))
        parser.add_argument("--images", type=int, default=100, help="How many images (default 100).")
        parser.add_argument(
            "--concurrency", type=int, default=3, help="Uploads in flight at once (default 3, as the page uploads)."
        )
        parser.add_argument("--width", type=int, default=4000)
        parser.add_argument("--height", type=int, default=3000)
        parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (images, database, log).")
        parser.add_argument(
            "--latency", type=float, default=3.0, help="vendors: the simulator's latency (default 3 s)."
        )
        parser.add_argument(
            "--outputs", type=int, default=None, help="pipeline: how many outputs (default 400); gallery: 10,000."
        )
        parser.add_argument(
            "--zip-images", type=int, default=1000, help="gallery: approved images in the ZIP (default 1,000)."
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="pipeline: a PostgreSQL server (postgres://user@host:port/db) to create a throw-away database on; "
            "default: SQLite in the temporary folder.",
        )
        parser.add_argument(
            "--redis-url",
            default="",
            help="pipeline: an EMPTY Redis database (redis://host:port/14) for the django-q2 broker; "
            "default: the ORM broker.",
        )

        parser.add_argument("--tasks", type=int, default=20, help="faults: one-task jobs per vendor and fault kind.")
        parser.add_argument(
            "--curve",
            default=",".join(map(str, fault_benchmark.CURVE_DEFAULT)),
            help="faults: storm sizes (tasks over all vendors) for the cost curve; empty for none.",
        )
        parser.add_argument("--seed", type=int, default=20261130, help="faults: the simulator's random seed.")
        parser.add_argument(
            "--sizes",
            default=",".join(map(str, reconcile_benchmark.SIZES_DEFAULT)),
            help="reconcile: task counts of the history, e.g. 10000,100000,1000000.",
        )
        parser.add_argument(
            "--in-flight",
            default=",".join(map(str, engine_benchmark.SIZES_DEFAULT)),
            help="engine: tasks in flight for the cost curve, e.g. 100,1000,10000.",
        )
        parser.add_argument(
            "--history",
            type=int,
            default=engine_benchmark.HISTORY_DEFAULT,
            help="engine: finished tasks in the table when the claim query is timed (default 1,000,000).",
        )
        parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--grow-to", type=int, default=0, help=argparse.SUPPRESS)

    def benchmarks(self) -> dict:
        return {
            "upload": self.upload,
            "vendors": self.vendors,
            "pipeline": self.pipeline,
            "gallery": self.gallery,
            "faults": self.faults,
            "reconcile": self.reconcile,
            "engine": self.engine,
            "pages": self.pages,
        }

    def pages(self, *, keep, **options):
        figures = pages_benchmark.run_pages(keep=keep, log=self.stderr.write)
        self.stdout.write(
            f"pages benchmark: SQLite (throw-away, WAL), {pages_benchmark.IMAGES_PER_TASK} images per task on the "
            f"run page, {gallery_benchmark.REQUESTS} requests each through Django's test client "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        for figure in figures:
            verdict = self._verdict(
                figure.meets, f"≤ {pages_benchmark.MAX_QUERIES} queries, p95 < {pages_benchmark.TARGET_P95_MS} ms"
            )
            self.stdout.write(
                f"  {figure.page:<17} {figure.size:<24} {figure.queries:>3} queries · median "
                f"{figure.timing.median_ms:6.1f} ms · p95 {figure.timing.p95_ms:6.1f} ms{verdict}"
            )

    def engine(self, *, in_flight, history, database_url, redis_url, keep, **options):
        try:
            sizes = tuple(int(size) for size in in_flight.split(",") if size.strip())
        except ValueError:
            raise CommandError("--in-flight takes task counts separated by commas, e.g. 100,1000,10000") from None
        if not sizes or any(size < 1 for size in sizes) or history < 0:
            raise CommandError("every --in-flight count must be at least 1, and --history not negative.")
        if not engine_benchmark.run_benchmark(
            sizes=sizes, history=history, database_url=database_url, redis_url=redis_url, keep=keep,
            log=self.stderr.write,
        ):  # fmt: skip
            raise CommandError("The engine benchmark stopped early: see above.")

    def reconcile(self, *, sizes, keep, inside, grow_to, **options):
        if inside:
            return reconcile_benchmark.grow_to(grow_to)
        try:
            counts = tuple(int(size) for size in sizes.split(",") if size.strip())
        except ValueError:
            raise CommandError("--sizes takes task counts separated by commas, e.g. 10000,100000,1000000") from None
        if not counts or any(count < reconcile_benchmark.TASKS_PER_RUN for count in counts):
            raise CommandError(f"every --sizes count must be at least {reconcile_benchmark.TASKS_PER_RUN}.")
        if not reconcile_benchmark.run_benchmark(
            sizes=counts, keep=keep, log=self.stderr.write, write=self.stdout.write
        ):
            raise CommandError("reconcile_points found differences in a history made to reconcile: see above.")

    def faults(self, *, tasks, curve, seed, keep, inside, **options):
        try:
            sizes = tuple(int(size) for size in curve.split(",") if size.strip())
        except ValueError:
            raise CommandError("--curve takes task counts separated by commas, e.g. 10,100,1000") from None
        if tasks < 1 or any(size < 1 for size in sizes):
            raise CommandError("--tasks and every --curve size must be at least 1.")
        if inside:
            well = fault_benchmark.inside(tasks_per_vendor=tasks, curve=sizes, seed=seed, write=self.stdout.write)
        else:
            well = fault_benchmark.run_benchmark(
                tasks_per_vendor=tasks, curve=sizes, seed=seed, keep=keep, log=self.stderr.write
            )
        if not well:
            raise CommandError("Extra paid tasks, unfinished runs or a ledger difference: see above.")

    def handle(self, *args, which, **options):
        if options["outputs"] is None:
            options["outputs"] = 10_000 if which == "gallery" else 400
        if options["images"] < 1 or options["concurrency"] < 1 or options["outputs"] < 1:
            raise CommandError("--images, --concurrency and --outputs must be at least 1.")
        try:
            self.benchmarks()[which](**options)
        except KeyboardInterrupt:
            raise CommandError("Interrupted; everything the benchmark started is stopped.") from None

    def upload(self, *, images, concurrency, width, height, keep, **options):
        result = benchmarks.run_upload(
            images=images, concurrency=concurrency, width=width, height=height, keep=keep, log=self.stderr.write
        )
        per_image_ms = result.seconds / result.images * 1000
        peak_mb = result.peak_rss_kb / 1024
        counts = result.counts
        self.stdout.write(
            f"upload benchmark: {result.images} JPEGs {width}×{height}, "
            f"{result.average_bytes / 2**20:.1f} MB average, concurrency {concurrency}\n"
            f"  total            {result.seconds:.2f} s\n"
            f"  per image        {per_image_ms:.1f} ms (wall, {concurrency} concurrent uploads)"
            f"{self._verdict(per_image_ms <= UPLOAD_TARGET_MS, f'target < {UPLOAD_TARGET_MS} ms')}\n"
            f"  server peak RSS  {peak_mb:.0f} MB (baseline {result.baseline_rss_kb / 1024:.0f} MB)"
            f"{self._verdict(peak_mb <= UPLOAD_TARGET_MB, f'target < {UPLOAD_TARGET_MB} MB')}\n"
            f"  kept {counts['kept']}, duplicate {counts['duplicate']}, rejected {counts['rejected']}"
            + (f", failed {counts['error']}" if counts["error"] else "")
        )
        if result.failures:
            shown = "\n".join(
                f"  {failure['name']}: {failure['status']}: {failure['message']}"
                for failure in result.failures[:FAILURES_SHOWN]
            )
            raise CommandError(f"{len(result.failures)} of {result.images} images were not kept:\n{shown}")

    def vendors(self, *, latency, **options):
        figures = vendor_benchmark.run(latency=latency, log=self.stderr.write)
        self.stdout.write(f"vendor benchmark: one task per vendor through the simulator, latency {latency:g} s")
        self.stdout.write("  vendor      poll every  calls/task  target  adapter CPU/call  files  status")
        for row in figures:
            target = latency / row.poll_interval + 2
            self.stdout.write(
                f"  {row.kind:<11} {row.poll_interval:>6.1f} s  {row.calls:>10}  ≤ {target:>4.1f}"
                f"  {row.cpu_ms_per_call:>12.2f} ms  {row.files:>5}  {row.status}"
                f"{self._verdict(row.calls <= target, 'latency ÷ interval + 2')}"
            )

    def pipeline(self, *, outputs, database_url, redis_url, keep, **options):
        result = pipeline_benchmark.run_pipeline(
            outputs=outputs, database_url=database_url, redis_url=redis_url, keep=keep, log=self.stderr.write
        )
        rate, cpu_ms = result.outputs_per_second, result.worker_cpu_ms_per_output
        calls = result.vendor_calls

        def busy(seconds: float) -> float:
            return seconds / result.sampled_seconds

        self.stdout.write(
            f"pipeline benchmark: {result.outputs} outputs of {pipeline_benchmark.SIZE} px PNG "
            f"({result.png_bytes / 2**20:.1f} MB, pre-made), {pipeline_benchmark.VENDOR} {pipeline_benchmark.MODEL} "
            f"n={result.per_call} per vendor task, simulator at zero latency\n"
            f"  configuration    {result.configuration}, {result.workers} Q workers, {result.cores} cores\n"
            f"  end to end       {result.seconds:.2f} s from submit until the run finished\n"
            f"  throughput       {rate:.1f} outputs/s"
            f"{self._verdict(rate >= PIPELINE_TARGET_PER_SECOND, f'target ≥ {PIPELINE_TARGET_PER_SECOND}')}\n"
            f"  worker CPU       {cpu_ms:.1f} ms per output ({result.worker_cpu_seconds:.1f} s, qcluster processes)"
            f"{self._verdict(cpu_ms <= PIPELINE_TARGET_CPU_MS, f'target ≤ {PIPELINE_TARGET_CPU_MS} ms')}\n"
            f"  vendor calls     {calls / result.outputs:.3f} per output ({result.submits} submits + "
            f"{result.polls} polls for {result.vendor_tasks} tasks, {calls / max(1, result.vendor_tasks):.2f} per task)"
            f"; {result.downloads / result.outputs:.2f} result downloads per output\n"
            f"  simulator CPU    {result.simulator_cpu_seconds * 1000 / result.outputs:.1f} ms per output "
            f"(this process, not in the worker's figure)\n"
            f"  machine busy     {busy(result.machine_busy_seconds):.2f} of {result.cores} cores on average "
            f"(qcluster {busy(result.worker_cpu_seconds):.2f}, this process {busy(result.simulator_cpu_seconds):.2f}, "
            f"the rest: database server, studio side, anything else running)\n"
            f"  stored           {result.rows} outputs, {result.thumbnails} thumbnails, run {result.state}; "
            f"{result.reconcile if result.reconcile_ok else 'reconcile_points FAILED'}"
        )
        if result.problems:
            raise CommandError("The pipeline did not deliver:\n" + "\n".join(f"  {p}" for p in result.problems))

    def gallery(self, *, outputs, zip_images, keep, **options):
        if outputs < 100 or not 1 <= zip_images <= outputs - 100:
            raise CommandError("gallery: --outputs must be at least 100 and --zip-images between 1 and outputs - 100.")
        result = gallery_benchmark.run_gallery(outputs=outputs, zip_images=zip_images, keep=keep, log=self.stderr.write)
        same = result.queries_small == result.queries_large <= GALLERY_MAX_QUERIES
        lines = [
            f"gallery benchmark: SQLite (throw-away, WAL), {result.outputs:,} outputs in {gallery_benchmark.RUNS} runs "
            f"over {len(gallery_benchmark.VENDORS)} vendors, {gallery_benchmark.PRODUCTS} products; "
            f"filter {gallery_benchmark.FILTER}",
            f"  SQL queries      page of {result.items_small} with {gallery_benchmark.PAGE_ITEMS} outputs: "
            f"{result.queries_small} · page of {result.items_large} with {result.outputs:,} outputs: "
            f"{result.queries_large}{self._verdict(same, f'the same, at most {GALLERY_MAX_QUERIES}')}",
            f"  server time per request, {gallery_benchmark.REQUESTS} requests each through Django's test client "
            f"(machine load average {result.load_average:.1f} on {os.cpu_count()} cores):",
        ]
        for timing in result.timings:
            verdict = ""
            if timing is result.timings[0]:  # the page the requirement names
                verdict = self._verdict(
                    timing.p95_ms < GALLERY_TARGET_P95_MS, f"target p95 < {GALLERY_TARGET_P95_MS} ms"
                )
            lines.append(
                f"    {timing.label:<31} median {timing.median_ms:5.1f} ms · p95 {timing.p95_ms:5.1f} ms "
                f"· CPU {timing.cpu_median_ms:4.1f} ms{verdict}"
            )
        peak = max(result.zip_rss_growth_mb, result.zip_python_peak_mb)
        lines.append(
            f"  ZIP              {result.zip_images:,} approved images, {result.zip_bytes / 2**20:.0f} MB, "
            f"in {result.zip_seconds:.2f} s ({result.zip_bytes / 2**20 / result.zip_seconds:.0f} MB/s)"
        )
        lines.append(
            f"  ZIP memory       peak growth {peak:.1f} MB (resident memory +{result.zip_rss_growth_mb:.1f} MB, "
            f"Python allocations peak {result.zip_python_peak_mb:.1f} MB)"
            f"{self._verdict(peak < ZIP_TARGET_MB, f'target < {ZIP_TARGET_MB} MB')}"
        )
        lines.append(
            f"  ZIP check        {result.zip_entries:,} entries (images + manifest.csv), "
            + ("every CRC good, names unique" if result.zip_ok else "BROKEN")
        )
        lines.append(
            f"  bulk review      one request approving all {result.bulk_outputs:,} matching images: "
            f"{result.bulk_seconds:.2f} s, with a review event each"
        )
        self.stdout.write("\n".join(lines))
        if not result.zip_ok:
            raise CommandError("The ZIP did not read back as written.")

    def _verdict(self, met: bool, target: str) -> str:
        return f"  {self.style.SUCCESS('ok') if met else self.style.ERROR('over')}, {target}"
