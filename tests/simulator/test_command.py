"""`manage.py simulate_vendors` as `runstudio` starts and stops it."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.run_fixtures import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_it_stops_on_interrupt_even_when_started_with_sigint_ignored(stop):
    """A shell starts background jobs with SIGINT ignored; runstudio stops its children with SIGINT."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "simulate_vendors", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        process.send_signal(stop)
        assert process.wait(timeout=5) is not None
    finally:
        process.kill()
        process.wait()
