"""`make run` (manage.py runstudio) on a port of one's choosing, and Ctrl-C leaving nothing behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.run_fixtures import describe_processes, free_port, process_group

ROOT = Path(__file__).resolve().parents[2]


def test_the_studio_runs_on_another_port_and_ctrl_c_stops_every_process_it_started(tmp_path):
    port, simulator_port = free_port(), free_port()
    env = {
        **os.environ, "STUDIO_VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "DEBUG": "1",
        "SIMULATOR_URL": f"http://127.0.0.1:{simulator_port}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_WORKERS": "1",
    }  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    studio = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runstudio", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        banner = b""
        deadline = time.monotonic() + 90
        while b"Press Ctrl-C to stop" not in banner and time.monotonic() < deadline and studio.poll() is None:
            banner += studio.stdout.readline()
        assert b"Press Ctrl-C to stop" in banner, banner.decode(errors="replace")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{simulator_port}/_simulator/calls").status_code == 200
        group = process_group(studio.pid)
        assert len(group) >= 4, describe_processes(studio.pid)  # itself, the web server, a worker, the simulator

        os.killpg(studio.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends: the whole foreground group
        studio.wait(timeout=40)
        deadline = time.monotonic() + 10
        while process_group(studio.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert process_group(studio.pid) == [], describe_processes(studio.pid)
    finally:
        if process_group(studio.pid):
            os.killpg(studio.pid, signal.SIGKILL)
        studio.wait()
