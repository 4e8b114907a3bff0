"""Benchmarks that drive a real Studio server from the outside, as a browser would.

`upload` measures the requirement "ingest 100 photos of 4000 × 3000 pixels (3–5 MB JPEGs) in under
80 ms each, with the server staying under 400 MB". It:

1. generates distinct, photo-like noisy JPEGs into a temporary folder (not timed);
2. starts the web server `make run` uses (gunicorn, see studio/core/servers.py) in separate processes,
   on a fresh SQLite database and media folder inside that temporary folder, so no real data is touched;
3. logs in over HTTP and posts every image, one file per request, to the real upload view with a few
   uploads in flight at once, timing the whole upload phase (wall clock);
4. reads the server's resident memory, summed over its master and worker processes: VmRSS before the
   uploads, VmHWM (each process's peak) after.
"""

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import CommandError
from PIL import Image, ImageChops

from studio.core.servers import web_server_command

STARTUP_SECONDS = 60
REQUEST_SECONDS = 300
NOISE_SIGMA = 12  # with JPEG quality 90, about 4 MB per 12-megapixel image
JPEG_QUALITY = 90
PATCH = 96  # the side of the square that makes each image different

CREATE_PROJECT = """
import os
from studio.accounts.models import Membership, Team, User
from studio.projects.models import Project
team = Team.objects.create(name="Benchmark team")
user = User.objects.create_user(username=os.environ["BENCHMARK_USERNAME"], password=os.environ["BENCHMARK_PASSWORD"])
Membership.objects.create(user=user, team=team, role="staff")
print(Project.objects.create(team=team, name="Benchmark", created_by=user).pk)
"""


@dataclass
class Server:
    url: str
    pid: int
    env: dict


@dataclass
class UploadResult:
    images: int
    average_bytes: float
    concurrency: int
    width: int
    height: int
    seconds: float
    baseline_rss_kb: int
    peak_rss_kb: int
    outcomes: list[dict]

    @property
    def counts(self) -> Counter:
        return Counter(outcome["status"] for outcome in self.outcomes)

    @property
    def failures(self) -> list[dict]:
        return [outcome for outcome in self.outcomes if outcome["status"] != "kept"]


def run_upload(*, images: int, concurrency: int, width: int, height: int, keep: bool, log: Callable) -> UploadResult:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would drown the report
    with temporary_folder(keep, log) as folder:
        log(f"Generating {images} JPEGs of {width}×{height} in {folder / 'images'} …")
        paths = generate_jpegs(folder / "images", images, width, height)
        with studio_server(folder / "var", log) as server:
            username, password, project_id = create_user_and_project(server.env)
            with httpx.Client(base_url=server.url, timeout=REQUEST_SECONDS) as client:
                login(client, username, password)
                baseline = read_status_kb(server.pid, "VmRSS")
                log(f"Uploading {images} images, {concurrency} at a time …")
                started = time.perf_counter()
                outcomes = upload_all(client, project_id, paths, concurrency)
                seconds = time.perf_counter() - started
            peak = read_status_kb(server.pid, "VmHWM")
    return UploadResult(
        images=images,
        average_bytes=sum(outcome["bytes"] for outcome in outcomes) / len(outcomes),
        concurrency=concurrency,
        width=width,
        height=height,
        seconds=seconds,
        baseline_rss_kb=baseline,
        peak_rss_kb=peak,
        outcomes=outcomes,
    )


def deployed_settings() -> dict[str, str]:
    """Environment variables that make a benchmark's processes run as a deployment does: DEBUG off. With DEBUG
    on, Django records every query and formats its parameters, which on SQLite costs one more query each."""
    from cryptography.fernet import Fernet

    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "CREDENTIALS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "STATIC_MANIFEST": "0",
    }


@contextmanager
def temporary_folder(keep: bool, log: Callable) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="studio-benchmark-"))
    try:
        yield folder
    finally:
        if keep:
            log(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# Images


def generate_jpegs(folder: Path, count: int, width: int, height: int) -> list[Path]:
    """Photo-like JPEGs (a colour gradient under fine noise), each with its own small square, so all differ."""
    folder.mkdir(parents=True)
    base = noisy_image(width, height)
    paths = []
    for index in range(count):
        image = base.copy()
        image.paste(_patch_colour(index), _patch_box(index, width, height))
        path = folder / f"photo-{index:04d}.jpg"
        image.save(path, "JPEG", quality=JPEG_QUALITY)
        paths.append(path)
    return paths


def noisy_image(width: int, height: int, sigma: float = NOISE_SIGMA) -> Image.Image:
    """Photo-like: a colour gradient under zero-mean noise, so it neither compresses to nothing nor is all noise."""
    gradient = Image.linear_gradient("L").resize((width, height))
    bands = [
        gradient,
        gradient.transpose(Image.Transpose.ROTATE_180),
        gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    ]
    # effect_noise is centred on 128; subtracting 128 again adds zero-mean noise to the gradient.
    noisy = [ImageChops.add(band, Image.effect_noise((width, height), sigma), offset=-128) for band in bands]
    return Image.merge("RGB", noisy)


def _patch_box(index: int, width: int, height: int) -> tuple[int, int, int, int]:
    per_row = max(1, width // PATCH)
    left = index % per_row * PATCH
    top = index // per_row * PATCH % max(PATCH, height - PATCH)
    return left, top, left + PATCH, top + PATCH


def _patch_colour(index: int) -> tuple[int, int, int]:
    return index % 256, index // 256 % 256, 255 - index % 256


# Server


@contextmanager
def studio_server(var_dir: Path, log: Callable) -> Iterator[Server]:
    """The studio's web server on a free port over a fresh database in var_dir; stopped on the way out."""
    var_dir.mkdir(parents=True)
    env = _server_env(var_dir)
    manage(env, "migrate", "--noinput")
    port = _free_port()
    log_file = open(var_dir / "server.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(  # noqa: S603
        web_server_command(f"127.0.0.1:{port}"),
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, var_dir / "server.log")
        log(f"Server pid {process.pid} at {url}")
        yield Server(url=url, pid=process.pid, env=env)
    finally:
        _stop(process)
        log_file.close()


def _server_env(var_dir: Path) -> dict:
    """A fresh SQLite database and local media under var_dir, whatever the caller's environment says."""
    return {
        **os.environ,
        "STUDIO_VAR_DIR": str(var_dir),
        "DEBUG": "1",
        "DATABASE_URL": "",
        "STORAGE_BACKEND": "filesystem",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str) -> str:
    completed = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise CommandError(f"manage.py {args[0]} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"The server stopped while starting:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise CommandError(f"The server did not become healthy at {url}/healthz within {STARTUP_SECONDS} s.")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_status_kb(pid: int, field: str) -> int:
    """A memory figure (VmRSS, VmHWM, …) in kB, summed over the server process and its workers."""
    return sum(_status_kb(process, field) for process in [pid, *_children(pid)])


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise CommandError(f"No {field} in /proc/{pid}/status.")


# HTTP, as the browser does it


def create_user_and_project(env: dict) -> tuple[str, str, int]:
    username, password = "benchmark", secrets.token_urlsafe(16)
    env = {**env, "BENCHMARK_USERNAME": username, "BENCHMARK_PASSWORD": password}
    output = manage(env, "shell", "--verbosity", "0", "--command", CREATE_PROJECT)
    return username, password, int(output.split()[-1])


def login(client: httpx.Client, username: str, password: str) -> None:
    client.get("/login/").raise_for_status()
    response = client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
    )
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise CommandError(f"Logging in failed (HTTP {response.status_code}).")


def upload_all(client: httpx.Client, project_id: int, paths: list[Path], concurrency: int) -> list[dict]:
    url = f"/projects/{project_id}/assets/upload/"
    headers = {"X-CSRFToken": client.cookies["csrftoken"], "Accept": "application/json"}

    def upload(path: Path) -> dict:
        content = path.read_bytes()
        outcome = {"name": path.name, "bytes": len(content)}
        try:
            response = client.post(
                url, headers=headers, data={"role": "product"}, files={"files": (path.name, content, "image/jpeg")}
            )
        except httpx.HTTPError as error:
            return {**outcome, "status": "error", "message": f"{type(error).__name__}: {error}"}
        if response.status_code != 200:
            return {**outcome, "status": "error", "message": f"HTTP {response.status_code}"}
        result = response.json()["results"][0]
        return {**outcome, "status": result["status"], "message": result["message"]}

    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        return list(pool.map(upload, paths))
    finally:
        pool.shutdown(cancel_futures=True)  # on Ctrl-C, drop the uploads not yet started
