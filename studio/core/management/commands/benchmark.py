"""`manage.py benchmark <which>`: upload (studio/core/benchmarks.py) or vendors (studio/simulator/benchmark.py)."""

from django.core.management.base import BaseCommand, CommandError

from studio.core import benchmarks
from studio.simulator import benchmark as vendor_benchmark

UPLOAD_TARGET_MS = 80
UPLOAD_TARGET_MB = 400
FAILURES_SHOWN = 5


class Command(BaseCommand):
    help = "Runs a benchmark: upload (a real server on a throw-away database) or vendors (against the simulator)."

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

    def benchmarks(self) -> dict:
        return {"upload": self.upload, "vendors": self.vendors}

    def handle(self, *args, which, **options):
        if options["images"] < 1 or options["concurrency"] < 1:
            raise CommandError("--images and --concurrency must be at least 1.")
        try:
            self.benchmarks()[which](**options)
        except KeyboardInterrupt:
            raise CommandError("Interrupted; the server is stopped.") from None

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

    def _verdict(self, met: bool, target: str) -> str:
        return f"  {self.style.SUCCESS('ok') if met else self.style.ERROR('over')}, {target}"
