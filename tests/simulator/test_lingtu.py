"""The lingtu adapter against the lingtu simulator over real loopback HTTP, and the simulator's strictness."""

import hashlib
import hmac
import io
import json
import time
import uuid

import httpx
import pytest
from PIL import Image

from studio.simulator import lingtu as simulator_module
from studio.simulator.core import Fault
from studio.vendors.base import ErrorClass, InputImage, Outcome, Status, SubmitRequest, VendorError
from studio.vendors.lingtu import LingtuAdapter
from studio.vendors.operations import Operation

CREDENTIALS = simulator_module.DEMO_CREDENTIALS
PRODUCT_COLOUR = (20, 90, 220)


def png(size, colour, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def cut_out() -> bytes:
    """A blue square product on a transparent background."""
    image = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (100, 100), (*PRODUCT_COLOUR, 255)), (10, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def lingtu(run_simulator):
    base_url, sim = run_simulator(simulator_module, latency=0.2)
    return base_url, sim


def make_adapter(base_url, **options) -> LingtuAdapter:
    return LingtuAdapter(base_url=base_url, credentials=dict(CREDENTIALS), options=options)


def wait_for_end(adapter, job_id, deadline_seconds=10.0):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        state = adapter.poll(job_id)
        if state.status.is_terminal:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {deadline_seconds} s")


def downloaded_images(adapter, state) -> list[Image.Image]:
    pictures = []
    for file in state.files:
        picture = Image.open(io.BytesIO(adapter.http.download(file.url)))
        picture.load()
        pictures.append(picture)
    return pictures


def change_background_request(image_host, key="cb-1", **params) -> SubmitRequest:
    inputs = [InputImage("product", image_host.put("product.png", cut_out()), options=params.pop("placement"))]
    if "bg_id" not in params:
        canvas = (params.get("width", 1024), params.get("height", 1024))  # the document: the canvas's size
        inputs.append(InputImage("background", image_host.put("scene.png", png(canvas, (240, 230, 200)))))
    return SubmitRequest(Operation.CHANGE_BACKGROUND, "", params, tuple(inputs), key)


def ai_model_request(image_host, face_id, key="am-1", **params) -> SubmitRequest:
    inputs = (InputImage("model", image_host.put("model.png", png((300, 400), (180, 150, 140)))),)
    return SubmitRequest(Operation.AI_MODEL, "", {"face_id": face_id, **params}, inputs, key)


@pytest.fixture(scope="module")
def raw():
    """One plain HTTP client for the hand-made requests (making a client costs ~50 ms)."""
    with httpx.Client() as client:
        yield client


def signed_headers(body: bytes, *, content_type="application/json", secret=None) -> dict[str, str]:
    signature = hmac.new((secret or CREDENTIALS["secret"]).encode(), body, hashlib.sha256).hexdigest()
    return {"X-App-Key": CREDENTIALS["app_key"], "X-Signature": signature, "Content-Type": content_type}


def signed_post(raw, url, body: bytes, *, content_type="application/json", secret=None):
    return raw.post(url, content=body, headers=signed_headers(body, content_type=content_type, secret=secret))


def raw_json(raw, url, payload):
    return signed_post(raw, url, json.dumps(payload).encode())


def valid_change_background(image_host, **overrides):
    return {
        "requestId": uuid.uuid4().hex,
        "width": 800,
        "height": 600,
        "goods": {"url": image_host.put("p.png", cut_out()), "x": 10, "y": 10, "width": 100, "height": 100},
        "background": {"url": image_host.put("b.png", png((800, 600), (200, 200, 200)))},
        **overrides,
    }


# Every operation, end to end --------------------------------------------------------------------------


def test_it_changes_the_background_with_the_product_at_its_placement(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    placement = {"x": 500, "y": 300, "width": 200, "height": 150}
    request = change_background_request(
        image_host, width=800, height=600, num=2, product_smart_color=False, placement=placement
    )

    submitted = adapter.submit(request)
    assert submitted.status == Status.QUEUED and submitted.vendor_task_id
    state = wait_for_end(adapter, submitted.vendor_task_id)

    assert state.status == Status.SUCCEEDED
    assert set(state.raw) == {"status", "message", "url", "text", "format"}
    assert state.raw["status"] == "succeed" and state.raw["url"].count(",") == 1
    assert len(state.files) == 2
    for picture in downloaded_images(adapter, state):
        assert picture.size == (800, 600)
        inside = picture.convert("RGB").getpixel((600, 375))
        outside = picture.convert("RGB").getpixel((100, 100))
        assert inside[2] > 150 and inside[0] < 80  # the blue product sits at its placement
        assert outside[0] > 150  # the warm background elsewhere


def test_it_changes_the_background_to_one_from_the_catalogue(lingtu, image_host):
    base_url, _ = lingtu
    adapter = make_adapter(base_url)
    backgrounds = adapter.backgrounds()
    assert {bg.category for bg in backgrounds} == {"indoor", "outdoor", "simplicity"}
    preview = Image.open(io.BytesIO(adapter.http.download(backgrounds[0].image)))
    assert preview.size == (1024, 1024)

    placement = {"x": 100, "y": 100, "width": 300, "height": 300}
    request = change_background_request(image_host, bg_id=backgrounds[2].id, placement=placement)
    state = wait_for_end(adapter, adapter.submit(request).vendor_task_id)
    assert state.status == Status.SUCCEEDED
    assert [picture.size for picture in downloaded_images(adapter, state)] == [(1024, 1024)]


def test_it_makes_an_ai_model_image_with_a_catalogue_face(lingtu, image_host):
    base_url, _ = lingtu
    adapter = make_adapter(base_url)
    faces = adapter.faces()
    assert {face.gender for face in faces} == {"Male", "female"}
    assert Image.open(io.BytesIO(adapter.http.download(faces[0].preview))).size == (256, 256)

    state = wait_for_end(adapter, adapter.submit(ai_model_request(image_host, faces[0].id, num=4)).vendor_task_id)
    assert state.status == Status.SUCCEEDED
    pictures = downloaded_images(adapter, state)
    assert len(pictures) == 4
    assert pictures[0].size == (300, 400)
    assert pictures[0].tobytes() != pictures[1].tobytes()  # four generations, not one image four times


def test_it_tries_garments_on_the_model(lingtu, image_host):
    base_url, _ = lingtu
    adapter = make_adapter(base_url)
    model = image_host.put("model.png", png((300, 600), (230, 230, 230)))
    top = image_host.put("top.png", png((100, 100), (200, 20, 20)))
    trousers = image_host.put("trousers.png", png((100, 100), (20, 120, 20)))
    inputs = (
        InputImage("model", model),
        InputImage("garment", top, options={"type": "upperBody"}),
        InputImage("garment", trousers, options={"type": "lowerBody"}),
    )
    submitted = adapter.submit(SubmitRequest(Operation.TRY_ON, "", {}, inputs, "to-1"))
    state = wait_for_end(adapter, submitted.vendor_task_id)

    assert state.status == Status.SUCCEEDED
    (picture,) = downloaded_images(adapter, state)
    assert picture.size == (300, 600)
    assert picture.convert("RGB").getpixel((150, 220))[0] > 150  # the red top on the torso
    assert picture.convert("RGB").getpixel((150, 480))[1] > 80  # the green trousers on the legs


def test_it_works_with_the_sdk_signature_too(lingtu):
    base_url, _ = lingtu
    assert "model faces" in make_adapter(base_url, signer="sdk").check_connection()


# Vendor-specific behaviours ---------------------------------------------------------------------------


def test_it_answers_the_same_job_for_the_same_request_id_and_charges_once(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    faces = adapter.faces()
    before = sim.state["lingtu"]["generations"]
    first = adapter.submit(ai_model_request(image_host, faces[0].id, key="same-key", num=2))
    second = adapter.submit(ai_model_request(image_host, faces[0].id, key="same-key", num=2))
    assert first.vendor_task_id == second.vendor_task_id
    assert sim.state["lingtu"]["generations"] == before - 2


def test_it_goes_from_waiting_to_executing_to_succeed(lingtu, image_host):
    base_url, sim = lingtu
    sim.latency = 1.0  # waiting for the first 0.2 s
    adapter = make_adapter(base_url)
    job_id = adapter.submit(ai_model_request(image_host, adapter.faces()[0].id)).vendor_task_id
    seen = [adapter.poll(job_id).status]
    time.sleep(0.3)
    seen.append(adapter.poll(job_id).status)
    seen.append(wait_for_end(adapter, job_id).status)
    assert seen == [Status.QUEUED, Status.RUNNING, Status.SUCCEEDED]


def test_it_cancels_only_while_waiting(lingtu, image_host):
    base_url, sim = lingtu
    sim.latency = 3.0  # waiting for the first 0.6 s
    adapter = make_adapter(base_url)
    face = adapter.faces()[0].id
    before = sim.state["lingtu"]["generations"]

    waiting = adapter.submit(ai_model_request(image_host, face, key="c-1")).vendor_task_id
    assert adapter.cancel(waiting, reason="stopped by the user") is True
    canceled = adapter.poll(waiting)
    assert (canceled.status, canceled.raw["status"]) == (Status.CANCELED, "Canceled")
    assert sim.state["lingtu"]["generations"] == before  # given back

    sim.latency = 0.2
    running = adapter.submit(ai_model_request(image_host, face, key="c-2")).vendor_task_id
    time.sleep(0.1)
    assert adapter.poll(running).status == Status.RUNNING
    assert adapter.cancel(running) is False
    assert wait_for_end(adapter, running).status == Status.SUCCEEDED


def test_it_keeps_result_files_for_12_hours(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    state = wait_for_end(adapter, adapter.submit(ai_model_request(image_host, adapter.faces()[0].id)).vendor_task_id)
    token = state.files[0].url.rsplit("/", 1)[-1]
    assert sim.files[token].expires == pytest.approx(time.time() + 12 * 3600, abs=30)


def test_it_cannot_download_expired_results(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    state = wait_for_end(adapter, adapter.submit(ai_model_request(image_host, adapter.faces()[0].id)).vendor_task_id)
    sim.add_fault(Fault("expired_results"))
    with pytest.raises(VendorError) as raised:
        adapter.http.download(state.files[0].url)
    assert raised.value.error_class == ErrorClass.PERMANENT


def test_it_refuses_when_the_generation_count_is_used_up(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    face = adapter.faces()[0].id
    sim.state["lingtu"]["generations"] = 1
    with pytest.raises(VendorError) as raised:
        adapter.submit(ai_model_request(image_host, face, num=2))
    assert raised.value.error_class == ErrorClass.INSUFFICIENT_BALANCE
    assert raised.value.code == 800000
    assert raised.value.message == "剩余生成次数不足"


@pytest.mark.parametrize("content", [None, b"this is not an image"])
def test_it_refuses_an_input_it_cannot_fetch_as_an_image(lingtu, image_host, content):
    base_url, _ = lingtu
    adapter = make_adapter(base_url)
    face = adapter.faces()[0].id
    url = image_host.put("broken.png", content) if content else image_host.url("missing.png")
    request = SubmitRequest(Operation.AI_MODEL, "", {"face_id": face}, (InputImage("model", url),), "bad-input")
    with pytest.raises(VendorError) as raised:
        adapter.submit(request)
    assert (raised.value.error_class, raised.value.outcome) == (ErrorClass.TRANSIENT, Outcome.REFUSED)
    assert raised.value.code == 800002


def test_it_refuses_an_unknown_face(lingtu, image_host):
    base_url, _ = lingtu
    with pytest.raises(VendorError) as raised:
        make_adapter(base_url).submit(ai_model_request(image_host, "face_nobody"))
    assert raised.value.error_class == ErrorClass.INVALID_PARAMETERS
    assert raised.value.code == 800003


# Faults -----------------------------------------------------------------------------------------------


def test_it_reports_rate_limiting(lingtu):
    base_url, sim = lingtu
    sim.add_fault(Fault("rate_limit", vendor="lingtu"))
    with pytest.raises(VendorError) as raised:
        make_adapter(base_url).faces()
    assert raised.value.error_class == ErrorClass.RATE_LIMITED


def test_it_reports_server_errors_as_transient(lingtu):
    base_url, sim = lingtu
    sim.add_fault(Fault("server_error", vendor="lingtu", status=502))
    with pytest.raises(VendorError) as raised:
        make_adapter(base_url).faces()
    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_reports_a_failed_job_with_its_message(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    face = adapter.faces()[0].id
    sim.add_fault(Fault("fail_task", vendor="lingtu"))
    state = wait_for_end(adapter, adapter.submit(ai_model_request(image_host, face)).vendor_task_id)
    assert state.status == Status.FAILED
    assert state.error.message == simulator_module.FAILURE_MESSAGE
    assert state.files == []


def test_it_returns_fewer_images_on_a_partial_failure(lingtu, image_host):
    base_url, sim = lingtu
    adapter = make_adapter(base_url)
    face = adapter.faces()[0].id
    sim.add_fault(Fault("partial_failure", vendor="lingtu"))
    state = wait_for_end(adapter, adapter.submit(ai_model_request(image_host, face, num=4)).vendor_task_id)
    assert state.status == Status.SUCCEEDED
    assert len(downloaded_images(adapter, state)) == 2


def test_it_refuses_a_wrong_secret(lingtu):
    base_url, _ = lingtu
    adapter = LingtuAdapter(base_url=base_url, credentials={**CREDENTIALS, "secret": "wrong"})
    with pytest.raises(VendorError) as raised:
        adapter.check_connection()
    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS
    assert raised.value.http_status == 401


# Simulator strictness (raw requests) ------------------------------------------------------------------


def test_the_simulator_rejects_a_missing_or_forged_signature(raw, lingtu, image_host):
    base_url, _ = lingtu
    body = json.dumps(valid_change_background(image_host)).encode()
    unsigned = raw.post(f"{base_url}/aigc/synthesis/change-background", content=body)
    assert unsigned.status_code == 401
    assert unsigned.json() == {"code": 401, "message": "签名校验失败"}

    forged = signed_post(raw, base_url + "/aigc/synthesis/change-background", body, secret="guess")
    assert forged.status_code == 401

    signature = hmac.new(CREDENTIALS["secret"].encode(), b"{}", hashlib.sha256).hexdigest()
    tampered = raw.post(
        f"{base_url}/aigc/synthesis/change-background",
        content=body,
        headers={"X-App-Key": CREDENTIALS["app_key"], "X-Signature": signature, "Content-Type": "application/json"},
    )
    assert tampered.status_code == 401


def test_the_simulator_rejects_a_stale_sdk_signature(raw, lingtu):
    base_url, _ = lingtu
    timestamp, salt = str(int(time.time()) - 3600), "a-salt"
    text = f"{CREDENTIALS['app_key']}/aigc/synthesis/model/faces{salt}{timestamp}{CREDENTIALS['secret']}"
    headers = {
        "appId": CREDENTIALS["app_key"],
        "timestamp": timestamp,
        "salt": salt,
        "sign": hashlib.sha256(text.encode()).hexdigest(),
    }
    assert raw.get(f"{base_url}/aigc/synthesis/model/faces", headers=headers).status_code == 401


def test_the_simulator_accepts_the_valid_raw_request_it_is_checked_against(raw, lingtu, image_host):
    base_url, _ = lingtu
    response = raw_json(raw, base_url + "/aigc/synthesis/change-background", valid_change_background(image_host))
    assert response.status_code == 200
    assert isinstance(response.json(), str)


def test_the_simulator_rejects_a_form_instead_of_json(raw, lingtu):
    base_url, _ = lingtu
    response = signed_post(
        raw, base_url + "/aigc/job/result", b"jobId=123", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["code"] == 400


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"requestId": None}, 400, "requestId"),
        ({"requestId": "r" * 101}, 400, "requestId"),
        ({"width": 399}, 800004, "宽高比错误"),
        ({"height": 1281}, 800004, "宽高比错误"),
        ({"width": "800"}, 400, "width"),
        ({"num": 3}, 400, "num"),
        ({"product_smart_color": True}, 400, "product_smart_color"),
        ({"goods": None}, 400, "goods"),
        ({"goods": {"url": "", "x": 0, "y": 0, "width": 10, "height": 10}}, 800002, "图片"),
        ({"background": {"bgId": "bg_unknown", "url": "http://127.0.0.1:1/x.png"}}, 800003, "风格错误"),
        ({"productSmartColor": "yes"}, 400, "productSmartColor"),
    ],
)
def test_the_simulator_checks_the_change_background_fields(raw, lingtu, image_host, overrides, code, words):
    base_url, _ = lingtu
    payload = {
        key: value for key, value in valid_change_background(image_host, **overrides).items() if value is not None
    }
    response = raw_json(raw, base_url + "/aigc/synthesis/change-background", payload)
    assert response.json()["code"] == code
    assert words in response.json()["message"]


def test_the_simulator_refuses_a_background_or_mask_not_of_the_canvas_size(raw, lingtu, image_host):
    base_url, sim = lingtu
    url = base_url + "/aigc/synthesis/change-background"
    canvas_sized = image_host.put("b.png", png((800, 600), (200, 200, 200)))
    small = image_host.put("small.png", png((640, 480), (200, 200, 200)))
    large = image_host.put("large.png", png((1280, 960), (200, 200, 200)))  # not shrunk before the check

    for background in ({"url": small}, {"url": large}, {"url": canvas_sized, "mask": small}):
        answer = raw_json(raw, url, valid_change_background(image_host, background=background))
        assert (answer.status_code, answer.json()) == (200, {"code": 800004, "message": "宽高比错误"}), background
    assert sim.ledger_summary()["lingtu"]["created"] == 0

    mask = image_host.put("mask.png", png((800, 600), (0, 0, 0)))
    accepted = raw_json(raw, url, valid_change_background(image_host, background={"url": canvas_sized, "mask": mask}))
    assert isinstance(accepted.json(), str)


def test_a_catalogue_background_need_not_have_the_canvas_size(raw, lingtu, image_host):
    base_url, _ = lingtu
    catalogue = raw.get(base_url + "/aigc/synthesis/change-background/bgs", headers=signed_headers(b""))
    bg = catalogue.json()["bgs"][0]  # 1024×1024, on an 800×600 canvas
    background = {"bgId": bg["id"], "url": bg["image"]}
    answer = raw_json(
        raw, base_url + "/aigc/synthesis/change-background", valid_change_background(image_host, background=background)
    )
    assert isinstance(answer.json(), str)


def test_the_simulator_rejects_a_product_placed_outside_the_canvas(raw, lingtu, image_host):
    base_url, _ = lingtu
    goods = {"url": image_host.put("p.png", cut_out()), "x": 750, "y": 10, "width": 100, "height": 100}
    response = raw_json(
        raw, base_url + "/aigc/synthesis/change-background", valid_change_background(image_host, goods=goods)
    )
    assert (response.status_code, response.json()["code"]) == (400, 400)


def test_the_simulator_checks_the_try_on_garment_type(raw, lingtu, image_host):
    base_url, _ = lingtu
    payload = {
        "requestId": "raw-dress",
        "model": image_host.put("m.png", png((200, 300), (200, 200, 200))),
        "dresses": [{"image": image_host.put("g.png", png((50, 50), (1, 2, 3))), "type": "shoes"}],
    }
    response = raw_json(raw, base_url + "/aigc/synthesis/dress", payload)
    assert response.json()["code"] == 400 and "服饰类型" in response.json()["message"]


def test_the_simulator_answers_an_unknown_job_as_not_found(raw, lingtu):
    base_url, _ = lingtu
    response = raw_json(raw, base_url + "/aigc/job/result", {"jobId": "no-such-job"})
    assert (response.status_code, response.json()) == (404, {"code": 404, "message": "任务不存在"})
    assert raw_json(raw, base_url + "/aigc/job/cancel", {"jobId": "no-such-job"}).json()["success"] is False
