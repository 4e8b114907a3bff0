"""`manage.py benchmark vendors`: vendor calls per completed task and the adapters' own CPU per call.

Each vendor kind's adapter drives one representative task through the simulator (served over real
loopback HTTP, with the given latency) the way the worker will: submit, then poll at the adapter's
own interval until the task ends, then download every result. Calls are counted by the simulator;
CPU is the calling thread's time (the simulator's threads are not in it).
"""

import io
import logging
import threading
import time
from dataclasses import dataclass

from django.test import override_settings
from PIL import Image

from studio.simulator.app import build_simulator, demo_credentials
from studio.simulator.core import make_server
from studio.vendors.base import InputImage, SubmitRequest
from studio.vendors.catalogue import KINDS, adapter_class
from studio.vendors.operations import Operation

PROMPT = "spring catalogue, soft daylight, clean studio background"
EXAMPLES = {  # one representative task per vendor: (operation, model, params, input roles)
    "imagewash": (Operation.WASH, "nanoBanana2", {"prompt": PROMPT}, ["product"]),
    "imagetasks": (Operation.TEXT_TO_IMAGE, "NanoBanana2-1K", {"prompt": PROMPT}, []),
    "hdredraw": (Operation.UPSCALE, "", {}, ["product"]),
    "suchuang": (Operation.TEXT_TO_IMAGE, "sc_soraimg_text_1x1", {"prompt": PROMPT}, []),
    "lingtu": (Operation.CHANGE_BACKGROUND, "", {"width": 800, "height": 800}, ["product", "background"]),
}


@dataclass
class Figures:
    kind: str
    poll_interval: float
    calls: int
    cpu_ms_per_call: float
    seconds: float
    files: int
    status: str


def run(*, latency: float, log) -> list[Figures]:
    logging.getLogger("studio.vendors.http").setLevel(logging.WARNING)  # one line per call drowns the table
    simulator = build_simulator(latency=latency)
    server = make_server(simulator, port=0)
    simulator.public_url = f"http://127.0.0.1:{server.server_address[1]}"
    allowed = override_settings(VENDOR_ALLOWED_PRIVATE_HOSTS=[simulator.public_url.removeprefix("http://")])
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    results: dict[str, Figures] = {}
    try:
        allowed.enable()
        threads = [threading.Thread(target=lambda k=kind: results.update({k: _one(simulator, k)})) for kind in KINDS]
        log(f"Driving one task per vendor through the simulator (latency {latency:g} s) …")
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        allowed.disable()
        server.shutdown()
    return [results[kind] for kind in KINDS]


def _one(simulator, kind: str) -> Figures:
    operation, model, params, roles = EXAMPLES[kind]
    adapter = adapter_class(kind)(base_url=simulator.public_url, credentials=demo_credentials(kind))
    inputs = tuple(_input(simulator, role) for role in roles)
    request = adapter.validate(SubmitRequest(operation, model, params, inputs, idempotency_key=f"bench-{kind}"))
    started = time.monotonic()
    cpu = 0.0
    calls_before = simulator.calls[kind]

    def timed(call, *args, **kwargs):
        nonlocal cpu
        before = time.thread_time()
        try:
            return call(*args, **kwargs)
        finally:
            cpu += time.thread_time() - before

    state = timed(adapter.submit, request)
    submitted = state.details
    while not state.status.is_terminal:
        time.sleep(adapter.default_poll_interval)
        state = timed(adapter.poll, state.vendor_task_id, submitted=submitted)
    for file in state.files:
        adapter.http.download(file.url)
    calls = simulator.calls[kind] - calls_before
    return Figures(
        kind,
        adapter.default_poll_interval,
        calls,
        cpu * 1000 / calls,
        time.monotonic() - started,
        len(state.files),
        state.status.value,
    )


def _input(simulator, role: str) -> InputImage:
    """An input image hosted on the simulator itself (a stand-in for the studio's signed input URLs)."""
    if role == "product":
        image = Image.new("RGBA", (400, 500), (0, 0, 0, 0))
        image.paste((60, 110, 200, 255), (80, 60, 320, 440))
        options = {"x": 200, "y": 150, "width": 400, "height": 500}
    else:
        image, options = Image.new("RGB", (800, 800), (235, 225, 210)), {}
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    data = buffer.getvalue()
    url = simulator.store_file(data, "image/png", suffix=".png")
    return InputImage(
        role, url, name=f"{role}.png", content_type="image/png", open=lambda: io.BytesIO(data), options=options
    )
