import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studio.core.demo import DEMO_OPERATOR, DEMO_POINTS, DEMO_USERS
from studio.core.servers import web_server_command

STARTUP_SECONDS = 60
STOP_SECONDS = 15


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Starts the whole studio (web server, worker, vendor simulator) in the foreground; Ctrl-C stops them all. "
        "With --scale-out: PostgreSQL, Redis, an S3 store on loopback and two workers, as on several machines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument(
            "--scale-out",
            action="store_true",
            help="The scale-out layout on this machine: DATABASE_URL (default: PostgreSQL database 'studio' on "
            "127.0.0.1, made if missing), REDIS_URL (default redis://127.0.0.1:6379/0), files in an S3 store on "
            "loopback (moto), two qcluster workers.",
        )
        parser.add_argument("--s3-port", type=int, default=8102, help="--scale-out: the S3 store's port.")

    def handle(self, *args, addr, scale_out, s3_port, **options):
        manage = [sys.executable, "manage.py"]
        simulator = urlsplit(settings.SIMULATOR_URL)
        env, workers = dict(os.environ), 1
        if scale_out:
            from studio.core.scale_out import scale_out_environment

            env, workers = scale_out_environment(s3_port, log=self.stdout.write), 2
        commands = {
            "web": web_server_command(addr),
            **{f"worker {n + 1}": [*manage, "qcluster"] for n in range(workers)},
            "simulator": [*manage, "simulate_vendors", "--host", simulator.hostname, "--port", str(simulator.port)],
        }
        processes = {name: subprocess.Popen(command, env=env) for name, command in commands.items()}  # noqa: S603
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the studio as cleanly as Ctrl-C
        url = f"http://{addr}/"
        try:
            self._wait_until_answering(f"{url}healthz", processes)
            self._wait_until_answering(f"{settings.SIMULATOR_URL}/_simulator/calls", processes)
            self._banner(url)
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            raise CommandError(f"The {', '.join(stopped)} process stopped; stopping the studio.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the studio…")
        finally:
            self._stop(processes)

    def _wait_until_answering(self, url, processes):
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes.values()):
                raise CommandError("A studio process failed to start; see its output above.")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise CommandError(f"{url} did not answer within {STARTUP_SECONDS} s.")

    def _banner(self, url):
        line = "─" * 56
        self.stdout.write(self.style.SUCCESS(f"\n{line}\n  Studio is running at {url}\n{line}"))
        self.stdout.write(f"  Demo logins (team “Demo team”, {DEMO_POINTS:,} points to start):")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"    {role.label:<9} {username} / {password}")
        self.stdout.write(f"    {'Operator':<9} {DEMO_OPERATOR[0]} / {DEMO_OPERATOR[1]}  (vendors, prices, every team)")
        self.stdout.write(f"  Vendors: the built-in simulator at {settings.SIMULATOR_URL}")
        self.stdout.write(f"  Press Ctrl-C to stop.\n{line}\n")

    def _stop(self, processes):
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
