"""One billable submit per vendor, sent by hand over HTTP (no adapter), for the misbehaviour and ledger tests."""

import hashlib
import hmac
import json
import uuid

import httpx
import pytest

from studio.simulator import hdredraw, imagetasks, imagewash, lingtu, suchuang
from studio.simulator.core import Simulator
from tests.vendor_fixtures import png_bytes

MODULES = (imagewash, imagetasks, hdredraw, suchuang, lingtu)
VENDORS = ("imagewash", "imagetasks", "hdredraw", "suchuang", "lingtu")
# What one submit below is charged, in each vendor's own unit.
CHARGE = {"imagewash": 4, "imagetasks": 1, "hdredraw": 1, "suchuang": 30, "lingtu": 1}


@pytest.fixture
def vendors(run_simulator, image_host):  # noqa: F811
    """All five vendors on one simulator (latency 0: nothing here waits for a result), and an input image URL."""
    base_url, sim = run_simulator(*MODULES, latency=0)
    return sim, image_host.put("input.png", png_bytes((64, 64)))


def lingtu_post(base_url: str, path: str, payload: dict, **kwargs) -> httpx.Response:
    body = json.dumps(payload).encode()
    secret = lingtu.DEMO_CREDENTIALS["secret"].encode()
    headers = {
        "Content-Type": "application/json",
        "X-App-Key": lingtu.DEMO_CREDENTIALS["app_key"],
        "X-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest(),
    }
    return httpx.post(base_url + path, content=body, headers=headers, **kwargs)


def submit(sim: Simulator, vendor: str, image_url: str, *, timeout: float = 10.0, **extra) -> httpx.Response:
    """One submit that the vendor accepts and charges CHARGE[vendor] for; `extra` adds or overrides fields."""
    base = sim.public_url
    if vendor == "imagewash":
        body = {"prompt": "白色大理石台面", "productImages": [image_url], "resolution": "1k", **extra}
        headers = {"X-API-Token": imagewash.DEMO_CREDENTIALS["api_token"]}
        return httpx.post(base + "/api/third-party/imageWash/generate", json=body, headers=headers, timeout=timeout)
    if vendor == "imagetasks":
        headers = {"Authorization": f"Bearer {imagetasks.DEMO_CREDENTIALS['api_key']}"}
        body = {"model": "NanoBanana", "prompt": "a red shoe", **extra}
        return httpx.post(base + "/v1/images/tasks", json=body, headers=headers, timeout=timeout)
    if vendor == "hdredraw":
        form = {"user_key": hdredraw.DEMO_CREDENTIALS["user_key"], **extra}
        files = {"input_image": ("input.png", png_bytes((64, 64)), "image/png")}
        return httpx.post(base + "/api/submit_face_enhance_task", data=form, files=files, timeout=timeout)
    if vendor == "suchuang":
        headers = {"Authorization": f"Bearer {suchuang.DEMO_CREDENTIALS['token']}"}
        body = {"modelName": "sc_soraimg_text_1x1", "prompt": "一只可爱的柴犬", **extra}
        return httpx.post(base + "/user/ai/tasks/submit", json=body, headers=headers, timeout=timeout)
    if vendor == "lingtu":
        body = {"requestId": uuid.uuid4().hex, "model": image_url, "faceId": "face_f_yellow_adult", **extra}
        return lingtu_post(base, "/aigc/synthesis/model", body, timeout=timeout)
    raise ValueError(vendor)


def created(sim: Simulator, vendor: str) -> int:
    return sim.ledger_summary()[vendor]["created"]
