"""The scale-out layout as `manage.py runstudio --scale-out` starts it: PostgreSQL, Redis, an S3 store on loopback,
the web server and two workers, each its own process. A job runs through it and its images come from the bucket.

PostgreSQL and Redis are what this layout is about: the test runs in the PostgreSQL + Redis run of the suite
(`.ci/run`'s second half), and is left out of the embedded SQLite run (tests/conftest.py says so when it does).
"""

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings

from studio.runs.models import OutputKind, Run, RunState
from tests.run_fixtures import ROOT, free_port, process_group, shared_database_url

pytestmark = [pytest.mark.scale_out, pytest.mark.django_db(transaction=True)]


def wait_until_ready(url: str, layout: subprocess.Popen, log_path, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert layout.poll() is None, log_path.read_text()[-4000:]
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready:\n{log_path.read_text()[-4000:]}")


@pytest.fixture
def layout(tmp_path, settings):
    web, simulator, s3 = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "STUDIO_VAR_DIR": str(tmp_path / "var"),
        "SIMULATOR_URL": f"http://127.0.0.1:{simulator}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web}",
        "VENDOR_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{simulator}",
        "TASK_CLAIM_SECONDS": "5",
        "WEB_WORKERS": "1",
        "STUDIO_PROCESS": "",
    }
    log_path = tmp_path / "layout.log"
    command = [
        sys.executable,
        "manage.py",
        "runstudio",
        "--scale-out",
        "--addr",
        f"127.0.0.1:{web}",
        "--s3-port",
        str(s3),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            health = wait_until_ready(f"http://127.0.0.1:{web}/healthz", process, log_path)
            yield {"web": f"http://127.0.0.1:{web}", "s3": f"http://127.0.0.1:{s3}", "health": health,
                   "process": process, "log": log_path}  # fmt: skip
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # Ctrl-C, as its user stops it
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            leftover = process_group(process.pid)
            if leftover:
                os.killpg(process.pid, signal.SIGKILL)
            assert not leftover, f"processes of the layout still running after Ctrl-C: {leftover}"


def test_a_job_runs_through_the_scale_out_layout_and_its_images_come_from_the_bucket(layout):
    from studio.accounts.models import User
    from studio.projects.models import Project
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit
    from studio.vendors.models import Offering

    assert layout["health"]["checks"]["storage"]["ok"] and layout["health"]["checks"]["broker"]["ok"]
    project = Project.objects.get(team__name="Demo team")
    staff = User.objects.get(username="staff")
    products = list(project.assets.filter(role="product")[:4])
    offering = Offering.objects.get(account__kind="hdredraw", operation="upscale")
    settings.STORAGES = {**settings.STORAGES, "default": _bucket_storage(layout["s3"])}  # as the layout stores
    run = runs_submit(project=project, offering=offering, user=staff,
                      calls=[PlannedCall({}, (PlannedInput(p, "product"),)) for p in products])  # fmt: skip

    deadline = time.monotonic() + 120
    while not run.is_finished and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, layout["log"].read_text()[-4000:]
    assert run.images_stored == run.outputs.filter(kind=OutputKind.IMAGE).count() == len(products)

    with httpx.Client(base_url=layout["web"], timeout=10) as browser:
        login = browser.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        browser.post("/login/", data={"username": "staff", "password": "studio-staff", "csrfmiddlewaretoken": token})
        page = browser.get(f"/runs/{run.pk}/").text
    thumbnails = re.findall(rf'src="({re.escape(layout["s3"])}/studio/[^"]+\.thumb\.webp[^"]*)"', page)
    assert len(thumbnails) == len(products)
    assert httpx.get(thumbnails[0].replace("&amp;", "&")).content[8:12] == b"WEBP"
    assert Run.objects.get(pk=run.pk).points_refunded == 0


def _bucket_storage(endpoint: str) -> dict:
    from studio.core.scale_out import BUCKET, S3_KEYS

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1",
            "access_key": S3_KEYS["STORAGE_ACCESS_KEY_ID"], "secret_key": S3_KEYS["STORAGE_SECRET_ACCESS_KEY"],
            "signature_version": "s3v4", "file_overwrite": False,
        },
    }  # fmt: skip
