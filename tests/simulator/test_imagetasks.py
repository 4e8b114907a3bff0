"""The imagetasks adapter against the simulated 通用异步图像生成 API over real loopback HTTP, and the
simulator's strictness about the document's wire format."""

import io
import time

import httpx
import pytest
from PIL import Image

from studio.simulator import imagetasks as simulated
from studio.simulator.core import Fault
from studio.vendors.base import ErrorClass, InputImage, Status, SubmitRequest, VendorError
from studio.vendors.imagetasks import MODELS, ImageTasksAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import png_bytes

KEY = simulated.DEMO_CREDENTIALS["api_key"]
AUTH = {"Authorization": f"Bearer {KEY}"}
T2I, I2I = Operation.TEXT_TO_IMAGE, Operation.IMAGE_TO_IMAGE


@pytest.fixture
def vendor(run_simulator):  # noqa: F811
    base_url, sim = run_simulator(simulated, latency=0.2)
    return make_adapter(base_url), sim, base_url


def make_adapter(base_url, **options):
    return ImageTasksAdapter(base_url=base_url, credentials=dict(simulated.DEMO_CREDENTIALS), options=options)


def params_for(model, **extra):
    if model == "gpt-image-2":
        return {"prompt": "a teapot in a bright studio", "size": "1024x768", **extra}
    return {"prompt": "a teapot in a bright studio", "aspect_ratio": "16:9", **extra}


def reference(url, data=None):
    return InputImage("reference", url, open=(lambda: io.BytesIO(data)) if data is not None else None)


def until_done(adapter, state, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not state.status.is_terminal:
        assert time.monotonic() < deadline, f"task {state.vendor_task_id} still {state.status}"
        time.sleep(0.05)
        state = adapter.poll(state.vendor_task_id)
    return state


def downloaded(adapter, state) -> list[Image.Image]:
    pictures = []
    for file in state.files:
        picture = Image.open(io.BytesIO(adapter.http.download(file.url)))
        picture.load()
        pictures.append(picture)
    return pictures


def expected_nano_size(model):
    return (512, 288) if model.endswith("0.5K") else (1024, 576)


# Every operation, every model -------------------------------------------------------------------


def test_it_makes_text_to_image_with_every_model_at_the_requested_size(vendor):
    adapter, _, _ = vendor
    submitted = {model: adapter.submit(SubmitRequest(T2I, model, params_for(model))) for model in MODELS}
    for model, state in submitted.items():
        assert state.status == Status.QUEUED
        done = until_done(adapter, state)
        assert done.status == Status.SUCCEEDED, model
        [picture] = downloaded(adapter, done)
        assert picture.format == "PNG"
        assert picture.size == ((1024, 768) if model == "gpt-image-2" else expected_nano_size(model)), model


def test_it_makes_image_to_image_with_every_model_from_the_reference(vendor, image_host):  # noqa: F811
    adapter, _, _ = vendor
    url = image_host.put("teapot.png", png_bytes((80, 60), (20, 90, 200)))
    submitted = {
        model: adapter.submit(SubmitRequest(I2I, model, params_for(model), (reference(url),))) for model in MODELS
    }
    for model, state in submitted.items():
        done = until_done(adapter, state)
        assert done.status == Status.SUCCEEDED, model
        assert done.details["task_type"] == "image2image"
        [picture] = downloaded(adapter, done)
        assert picture.size == ((1024, 768) if model == "gpt-image-2" else expected_nano_size(model)), model
        centre = picture.convert("RGB").getpixel((picture.width // 2, picture.height // 2))
        assert centre[2] > centre[0], "the blue product should show in the middle of the result"


def test_it_returns_n_images_of_gpt_image_2_in_the_requested_format(vendor):
    adapter, _, _ = vendor
    request = SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", n=3, output_format="webp", quality="high"))
    done = until_done(adapter, adapter.submit(request))
    assert done.status == Status.SUCCEEDED
    assert done.details["result_count"] == 3
    assert len({file.url for file in done.files}) == 3
    pictures = downloaded(adapter, done)
    assert [picture.format for picture in pictures] == ["WEBP"] * 3
    assert len({picture.tobytes() for picture in pictures}) == 3, "each variant should differ"


def test_it_fits_a_large_gpt_image_2_size_into_the_simulators_limit_keeping_its_shape(vendor):
    adapter, _, _ = vendor
    request = SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", size="3840x2160", output_format="jpeg"))
    [picture] = downloaded(adapter, until_done(adapter, adapter.submit(request)))
    assert picture.format == "JPEG"
    assert picture.size == (1024, 576)


def test_it_uploads_one_reference_as_a_multipart_file(vendor):
    adapter, _, base_url = vendor
    uploader = make_adapter(base_url, upload_files=True)
    upload = reference("https://unreachable.invalid/x.png", png_bytes((40, 40), (10, 180, 30)))
    request = SubmitRequest(I2I, "gpt-image-2", params_for("gpt-image-2", size="1024x1024"), (upload,))
    done = until_done(uploader, uploader.submit(request))
    [picture] = downloaded(uploader, done)
    assert picture.size == (1024, 1024)
    centre = picture.convert("RGB").getpixel((512, 512))
    assert centre[1] > centre[0] and centre[1] > centre[2], "the uploaded green product should be in the middle"


def test_it_sends_several_references_as_images(vendor, image_host):  # noqa: F811
    adapter, _, _ = vendor
    urls = [image_host.put(f"ref{index}.png", png_bytes((30, 30), (200, 30 * index, 30))) for index in range(3)]
    request = SubmitRequest(I2I, "NanoBanana", params_for("NanoBanana"), tuple(reference(url) for url in urls))
    done = until_done(adapter, adapter.submit(request))
    assert done.status == Status.SUCCEEDED
    assert len(downloaded(adapter, done)) == 1


def test_it_fans_a_nanobanana_request_for_several_images_out_into_one_task_each(vendor):
    adapter, sim, _ = vendor
    request = adapter.validate(SubmitRequest(T2I, "NanoBanana2-1K", params_for("NanoBanana2-1K", n=3)))
    states = [adapter.submit(part) for part in adapter.split(request)]
    assert len({state.vendor_task_id for state in states}) == 3
    results = [until_done(adapter, state) for state in states]
    assert [len(state.files) for state in results] == [1, 1, 1]
    assert sim.calls["imagetasks POST /v1/images/tasks"] == 3


def test_it_accepts_a_task_already_succeeded_at_submit(run_simulator):  # noqa: F811
    base_url, sim = run_simulator(simulated, latency=0)
    adapter = make_adapter(base_url)
    sim.state["imagetasks"]["instant_fraction"] = 1.0
    state = adapter.submit(SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", n=2)))
    assert state.status == Status.SUCCEEDED
    assert len(downloaded(adapter, state)) == 2
    assert sim.calls["imagetasks GET /v1/images/tasks/(?P<task_id>[\\w\\-]+)"] == 0


def test_it_answers_queued_at_submit_when_there_is_latency_even_if_instant_answers_are_on(vendor):
    adapter, sim, _ = vendor
    sim.state["imagetasks"]["instant_fraction"] = 1.0
    state = adapter.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana")))
    assert state.status == Status.QUEUED


def test_it_reports_progress_while_processing(vendor):
    adapter, sim, _ = vendor
    sim.latency = 1.0
    state = adapter.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana")))
    time.sleep(0.4)
    running = adapter.poll(state.vendor_task_id)
    assert running.status == Status.RUNNING
    assert 10 <= running.progress <= 95


# Faults and the account ---------------------------------------------------------------------


def test_a_rate_limited_submit_is_rate_limited(vendor):
    adapter, sim, _ = vendor
    sim.add_fault(Fault("rate_limit", vendor="imagetasks"))
    with pytest.raises(VendorError) as raised:
        adapter.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana")))
    assert raised.value.error_class == ErrorClass.RATE_LIMITED
    assert raised.value.http_status == 429


@pytest.mark.parametrize(
    ("fault", "error_class"), [("server_error", ErrorClass.TRANSIENT), ("malformed_json", ErrorClass.TRANSIENT)]
)
def test_a_broken_answer_is_transient(vendor, fault, error_class):
    adapter, sim, _ = vendor
    state = adapter.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana")))
    sim.add_fault(Fault(fault, vendor="imagetasks"))
    with pytest.raises(VendorError) as raised:
        adapter.poll(state.vendor_task_id)
    assert raised.value.error_class == error_class


def test_a_failed_task_fails_with_the_vendors_message_and_is_refunded(vendor):
    adapter, sim, _ = vendor
    balance = sim.state["imagetasks"]["balance"]
    sim.add_fault(Fault("fail_task", vendor="imagetasks"))
    state = until_done(adapter, adapter.submit(SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", n=2))))
    assert state.status == Status.FAILED
    assert state.error.message == "图片生成失败: 上游模型未返回结果"
    assert state.error.code == "generation_failed"
    assert state.files == []
    assert sim.state["imagetasks"]["balance"] == balance


def test_a_partial_gpt_image_2_task_succeeds_with_fewer_images(vendor):
    adapter, sim, _ = vendor
    sim.add_fault(Fault("partial_failure", vendor="imagetasks"))
    state = until_done(adapter, adapter.submit(SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", n=4))))
    assert state.status == Status.SUCCEEDED
    assert len(downloaded(adapter, state)) == 2


def test_expired_results_cannot_be_downloaded(vendor):
    adapter, sim, _ = vendor
    state = until_done(adapter, adapter.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana"))))
    sim.add_fault(Fault("expired_results"))
    with pytest.raises(VendorError) as raised:
        adapter.http.download(state.files[0].url)
    assert raised.value.error_class == ErrorClass.PERMANENT


def test_each_image_is_charged_and_an_empty_balance_is_insufficient(vendor):
    adapter, sim, _ = vendor
    sim.state["imagetasks"]["balance"] = 3
    adapter.submit(SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", n=2)))
    assert sim.state["imagetasks"]["balance"] == 1
    with pytest.raises(VendorError) as raised:
        adapter.submit(SubmitRequest(T2I, "gpt-image-2", params_for("gpt-image-2", n=2)))
    assert raised.value.error_class == ErrorClass.INSUFFICIENT_BALANCE
    assert "用户额度不足" in raised.value.message


def test_a_wrong_key_is_bad_credentials_on_submit_and_query(vendor):
    adapter, _, base_url = vendor
    state = adapter.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana")))
    stranger = ImageTasksAdapter(base_url=base_url, credentials={"api_key": "sk-wrong"})
    with pytest.raises(VendorError) as submitted:
        stranger.submit(SubmitRequest(T2I, "NanoBanana", params_for("NanoBanana")))
    with pytest.raises(VendorError) as queried:
        stranger.poll(state.vendor_task_id)
    assert submitted.value.error_class == queried.value.error_class == ErrorClass.BAD_CREDENTIALS
    assert "sk-wrong" not in submitted.value.message


def test_an_unknown_task_is_permanent(vendor):
    adapter, _, _ = vendor
    with pytest.raises(VendorError) as raised:
        adapter.poll("task_nope")
    assert (raised.value.error_class, raised.value.code) == (ErrorClass.PERMANENT, "task_not_exist")


@pytest.mark.parametrize("kind", ["missing", "not_an_image"])
def test_an_unreadable_reference_is_refused(vendor, image_host, kind):  # noqa: F811
    adapter, _, _ = vendor
    url = image_host.url("missing.png") if kind == "missing" else image_host.put("note.png", b"just some text")
    with pytest.raises(VendorError) as raised:
        adapter.submit(SubmitRequest(I2I, "NanoBanana", params_for("NanoBanana"), (reference(url),)))
    assert raised.value.error_class == ErrorClass.INVALID_PARAMETERS
    assert raised.value.code == "invalid_image"
    assert not raised.value.error_class.is_retryable


# The simulator keeps to the document -------------------------------------------------------------


def post(base_url, *, headers=AUTH, **kwargs):
    return httpx.post(f"{base_url}/v1/images/tasks", headers=headers, timeout=5, **kwargs)


GPT = {"model": "gpt-image-2", "prompt": "p", "size": "1024x1024"}
NANO = {"model": "NanoBanana2-1K", "prompt": "p"}


def test_the_submit_answer_is_a_bare_task_object_and_the_query_an_envelope(vendor):
    _, _, base_url = vendor
    answer = post(base_url, json={**NANO, "task_type": "text2image", "n": 1, "response_format": "url"})
    assert answer.status_code == 200
    task = answer.json()
    assert set(task) == {"task_id", "status", "progress", "result_url", "metadata", "error"}
    assert (task["status"], task["progress"], task["error"]) == ("queued", "0%", None)
    queried = httpx.get(f"{base_url}/v1/images/tasks/{task['task_id']}", headers=AUTH, timeout=5).json()
    assert (queried["code"], queried["message"]) == ("success", "")
    assert queried["data"]["task_id"] == task["task_id"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer sk-wrong"}, "invalid_api_key"),
        ({"Authorization": KEY}, "invalid_api_key"),
    ],
)
def test_it_refuses_a_submit_without_the_right_bearer_key(vendor, headers, code):
    _, _, base_url = vendor
    answer = post(base_url, headers=headers, json=GPT)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == code


def test_it_refuses_a_query_without_the_key_in_its_envelope(vendor):
    _, _, base_url = vendor
    answer = httpx.get(f"{base_url}/v1/images/tasks/task_x", timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"code": "missing_api_key", "message": "未提供令牌", "data": None}


def test_it_refuses_a_body_that_is_neither_json_nor_multipart(vendor):
    _, _, base_url = vendor
    assert post(base_url, data={"model": "gpt-image-2", "prompt": "p", "size": "1024x1024"}).status_code == 400
    assert (
        post(base_url, content=b'{"model": "NanoBanana"}', headers={**AUTH, "Content-Type": "text/plain"}).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"model": "gpt-image-2", "size": "1024x1024"}, "prompt is required"),
        ({**GPT, "model": "NanoBanana3"}, "is not available"),
        ({"model": "gpt-image-2", "prompt": "p"}, "size is required"),
        ({**GPT, "size": "1000x1000"}, "not supported by gpt-image-2"),
        ({**GPT, "aspect_ratio": "1:1"}, "does not support aspect_ratio"),
        ({**GPT, "quality": "ultra"}, "quality must be"),
        ({**GPT, "n": 9}, "between 1 and 8"),
        ({**GPT, "n": 0}, "between 1 and 8"),
        ({**GPT, "n": "2"}, "n must be an integer"),
        ({**GPT, "output_format": "gif"}, "png / jpeg / webp"),
        ({**NANO, "output_format": "webp"}, "png / jpeg"),
        ({**NANO, "aspect_ratio": "7:5"}, "aspect_ratio must be one of"),
        ({**NANO, "n": 2}, "n must be 1"),
        ({**NANO, "task_type": "image2image"}, "image2image needs image or images"),
        ({**NANO, "task_type": "edit"}, "task_type must be"),
        ({**NANO, "response_format": "b64_json"}, "response_format must be url"),
        ({**NANO, "image": "https://a.example/1.png", "images": ["https://a.example/2.png"]}, "do not mix"),
        ({**NANO, "images": "https://a.example/2.png"}, "array of image URLs"),
    ],
)
def test_it_refuses_what_the_document_does_not_allow(vendor, body, words):
    _, _, base_url = vendor
    answer = post(base_url, json=body)
    assert answer.status_code == 400
    assert words in answer.json()["error"]["message"]


def test_it_accepts_webp_from_plain_nanobanana_and_an_uploaded_image_file(vendor):
    _, _, base_url = vendor
    assert post(base_url, json={**NANO, "model": "NanoBanana", "output_format": "webp"}).status_code == 200
    fields = {**GPT, "task_type": "image2image", "n": "2", "response_format": "url"}
    answer = post(base_url, data=fields, files={"image": ("input.png", png_bytes(), "image/png")})
    assert answer.status_code == 200
    assert answer.json()["metadata"]["task_type"] == "image2image"


def test_it_refuses_an_uploaded_file_that_is_not_an_image(vendor):
    _, _, base_url = vendor
    answer = post(base_url, data={**GPT, "task_type": "image2image"}, files={"image": ("x.png", b"text", "image/png")})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_image"


def test_its_rate_limit_answer_has_the_vendor_error_shape(vendor):
    _, sim, base_url = vendor
    sim.add_fault(Fault("rate_limit", vendor="imagetasks"))
    answer = post(base_url, json=GPT)
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "rate_limit_exceeded"
