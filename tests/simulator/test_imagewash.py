"""The imagewash adapter against its simulator over real loopback HTTP, and the simulator's strictness."""

import io
import time

import httpx
import pytest
from PIL import Image

from studio.simulator import imagewash as simulated
from studio.simulator.core import Fault
from studio.vendors.base import ErrorClass, InputImage, Outcome, Status, SubmitRequest, VendorError
from studio.vendors.imagewash import ImageWashAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import png_bytes

SUBMIT = "/api/third-party/imageWash/generate"
RESULT = "/api/third-party/common/result"
TOKEN = simulated.DEMO_CREDENTIALS["api_token"]


@pytest.fixture
def simulator(run_simulator):  # noqa: F811
    return run_simulator(simulated, latency=0.2)


@pytest.fixture
def adapter(simulator):
    base_url, _sim = simulator
    return ImageWashAdapter(base_url=base_url, credentials=dict(simulated.DEMO_CREDENTIALS))


@pytest.fixture
def products(image_host):  # noqa: F811
    return [
        image_host.put("shoe.png", png_bytes((64, 48), (200, 40, 40))),
        image_host.put("bag.png", png_bytes((40, 60), (40, 40, 200))),
    ]


@pytest.fixture
def reference(image_host):  # noqa: F811
    return image_host.put("scene.png", png_bytes((80, 80), (30, 160, 60)))


def wash(products, references=(), **params):
    inputs = [InputImage("product", url) for url in products] + [InputImage("reference", url) for url in references]
    params = {"prompt": "白色大理石台面,柔和自然光", "resolution": "1k", **params}
    return SubmitRequest(Operation.WASH, "nanoBanana2", params, tuple(inputs))


def until_done(adapter, task_id, items=None, deadline=10.0):
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        state = adapter.poll(task_id, submitted={"items": items})
        if state.status.is_terminal:
            return state
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish in {deadline} s")


def open_image(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# The product working ---------------------------------------------------------------------------


def test_it_washes_every_product_with_the_reference_count_times(adapter, simulator, products, reference):
    _base, sim = simulator
    coins = sim.state["imagewash"]["coins"]

    submitted = adapter.submit(wash(products, [reference], count=2, aspectRatio="auto"))
    assert submitted.status == Status.QUEUED
    assert submitted.cost == 4 * 4
    assert sim.state["imagewash"]["coins"] == coins - 16
    assert [item["productImage"] for item in submitted.details["items"]] == [products[0]] * 2 + [products[1]] * 2

    state = until_done(adapter, submitted.vendor_task_id, submitted.details["items"])

    assert state.status == Status.SUCCEEDED
    assert len(state.files) == 4
    assert [file.source for file in state.files] == [products[0]] * 2 + [products[1]] * 2
    results = [open_image(adapter.http.download(file.url)) for file in state.files]
    # Each file keeps its own product's proportions (shoe 64×48, bag 40×60 at 1k), so the mapping is right.
    assert [image.size for image in results] == [(512, 384)] * 2 + [(341, 512)] * 2
    assert results[0].tobytes() != results[1].tobytes()  # two variants of the same product


def test_it_honours_the_requested_resolution_and_ratio(adapter, products):
    submitted = adapter.submit(wash(products[1:], resolution="2k", aspectRatio="16:9"))

    state = until_done(adapter, submitted.vendor_task_id, submitted.details["items"])

    image = open_image(adapter.http.download(state.files[0].url))
    assert image.size == (768, 432)
    assert state.files[0].source == products[1]


def test_it_moves_from_pending_through_processing_to_completed(adapter, products):
    submitted = adapter.submit(wash(products[:1]))

    seen = [submitted.status]
    deadline = time.monotonic() + 10
    while not seen[-1].is_terminal and time.monotonic() < deadline:
        status = adapter.poll(submitted.vendor_task_id).status
        if status != seen[-1]:
            seen.append(status)
        time.sleep(0.02)

    assert seen == [Status.QUEUED, Status.RUNNING, Status.SUCCEEDED]


def test_it_keeps_the_succeeded_children_of_a_partial_failure(adapter, simulator, products):
    _base, sim = simulator
    sim.add_fault(Fault("partial_failure", vendor="imagewash"))
    coins = sim.state["imagewash"]["coins"]

    submitted = adapter.submit(wash(products, count=2))
    state = until_done(adapter, submitted.vendor_task_id, submitted.details["items"])

    assert state.status == Status.PARTIAL
    assert len(state.files) == 2
    assert state.details == {"succeeded_children": 2, "failed_children": 2}
    assert all(open_image(adapter.http.download(file.url)) for file in state.files)
    assert sim.state["imagewash"]["coins"] == coins - 2 * 4  # the failed children were refunded


def test_it_reports_a_failed_task_with_the_vendors_message_and_refunds(adapter, simulator, products):
    _base, sim = simulator
    sim.add_fault(Fault("fail_task", vendor="imagewash"))
    coins = sim.state["imagewash"]["coins"]

    submitted = adapter.submit(wash(products))
    state = until_done(adapter, submitted.vendor_task_id)

    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT
    assert "洗图失败" in state.error.message
    assert state.files == []
    assert sim.state["imagewash"]["coins"] == coins


# Faults ----------------------------------------------------------------------------------------


def test_it_is_rate_limited_when_the_queue_is_full_and_can_submit_again(adapter, simulator, products):
    _base, sim = simulator
    sim.add_fault(Fault("rate_limit", vendor="imagewash", endpoint=SUBMIT))

    with pytest.raises(VendorError) as raised:
        adapter.submit(wash(products))

    assert raised.value.error_class == ErrorClass.RATE_LIMITED
    assert raised.value.http_status == 429
    assert adapter.submit(wash(products)).status == Status.QUEUED


def test_it_is_rate_limited_while_polling_without_failing_the_task(adapter, simulator, products):
    _base, sim = simulator
    submitted = adapter.submit(wash(products[:1]))
    sim.add_fault(Fault("rate_limit", vendor="imagewash", endpoint=RESULT))

    with pytest.raises(VendorError) as raised:
        adapter.poll(submitted.vendor_task_id)

    assert raised.value.error_class == ErrorClass.RATE_LIMITED
    assert until_done(adapter, submitted.vendor_task_id).status == Status.SUCCEEDED


@pytest.mark.parametrize("fault", [Fault("server_error", vendor="imagewash"), Fault("malformed_json")])
def test_it_takes_server_trouble_as_transient(adapter, simulator, products, fault):
    _base, sim = simulator
    sim.add_fault(fault)

    with pytest.raises(VendorError) as raised:
        adapter.submit(wash(products))

    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_refuses_when_the_balance_is_too_low(adapter, simulator, products):
    _base, sim = simulator
    sim.state["imagewash"]["coins"] = 7

    with pytest.raises(VendorError) as raised:
        adapter.submit(wash(products))  # 2 × 4 coins

    assert raised.value.error_class == ErrorClass.INSUFFICIENT_BALANCE
    assert "余额不足" in raised.value.message
    assert sim.state["imagewash"]["coins"] == 7


def test_it_refuses_a_wrong_token(simulator, products):
    base_url, _sim = simulator
    adapter = ImageWashAdapter(base_url=base_url, credentials={"api_token": "not-the-token"})

    with pytest.raises(VendorError) as raised:
        adapter.submit(wash(products))

    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS
    assert "not-the-token" not in raised.value.message


def test_it_refuses_an_input_it_cannot_download_and_may_be_sent_again(adapter, image_host, products):  # noqa: F811
    with pytest.raises(VendorError) as raised:
        adapter.submit(wash([products[0], image_host.url("missing.png")]))

    assert (raised.value.error_class, raised.value.outcome) == (ErrorClass.TRANSIENT, Outcome.REFUSED)
    assert "missing.png" in raised.value.message


def test_it_refuses_an_input_that_is_not_an_image(adapter, image_host):  # noqa: F811
    with pytest.raises(VendorError) as raised:
        adapter.submit(wash([image_host.put("notes.png", b"just text")]))

    # The vendor says "图片下载失败或不是有效图片" for both: a refusal the worker retries a bounded number of times.
    assert (raised.value.error_class, raised.value.outcome) == (ErrorClass.TRANSIENT, Outcome.REFUSED)


def test_it_accepts_every_call_of_a_split_request(adapter, simulator, image_host):  # noqa: F811
    _base, sim = simulator
    urls = [image_host.put(f"p{n}.png") for n in range(3)]
    request = adapter.validate(wash(urls, count=50))

    states = [adapter.submit(call) for call in adapter.split(request)]

    assert [state.details["total_tasks"] for state in states] == [100, 50]
    assert all(state.status == Status.QUEUED for state in states)


# Strictness: requests that deviate from the document -------------------------------------------


def valid_body(products):
    return {"model": "nanoBanana2", "prompt": "洗图", "productImages": products, "resolution": "1k", "count": 1}


def post(base_url, body=None, *, token=TOKEN, **kwargs):
    headers = {"X-API-Token": token} if token is not None else {}
    if body is not None:
        kwargs["json"] = body
    return httpx.post(base_url + SUBMIT, headers=headers, **kwargs)


def assert_refused(response, status, words):
    assert response.status_code == status
    answer = response.json()
    assert answer["code"] == status
    assert words in answer["message"]
    assert answer["data"] is None
    assert answer["timestamp"].endswith("Z")


def test_the_simulator_accepts_the_valid_body(simulator, products):
    base_url, _sim = simulator

    response = post(base_url, valid_body(products))

    assert response.status_code == 200
    assert response.json()["code"] == 200
    assert response.json()["data"]["taskId"].startswith("task_")
    assert response.json()["data"]["items"][0]["childTaskId"] == response.json()["data"]["taskId"] + "_1"


@pytest.mark.parametrize(("token", "words"), [(None, "缺少 X-API-Token"), ("wrong", "无效")])
def test_the_simulator_refuses_a_missing_or_wrong_token(simulator, products, token, words):
    base_url, _sim = simulator

    assert_refused(post(base_url, valid_body(products), token=token), 401, words)


def test_the_simulator_refuses_the_token_as_a_bearer_header(simulator, products):
    base_url, _sim = simulator

    response = httpx.post(base_url + SUBMIT, headers={"Authorization": f"Bearer {TOKEN}"}, json=valid_body(products))

    assert_refused(response, 401, "X-API-Token")


def test_the_simulator_refuses_a_form_instead_of_json(simulator, products):
    base_url, _sim = simulator

    response = post(base_url, data={"prompt": "洗图", "productImages": products[0]})

    assert_refused(response, 400, "JSON")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"prompt": None}, "prompt 不能为空"),
        ({"prompt": "  "}, "prompt 不能为空"),
        ({"productImages": None}, "productImages"),
        ({"productImages": []}, "productImages 不能为空"),
        ({"productImages": "https://x/1.png"}, "URL 数组"),
        ({"referenceImages": "https://x/r.png"}, "URL 数组"),
        ({"model": "gpt-image-2"}, "nanoBanana2"),
        ({"resolution": "8k"}, "resolution"),
        ({"aspectRatio": "7:3"}, "aspectRatio"),
        ({"count": 0}, "count"),
        ({"count": "2"}, "count"),
        ({"count": 1.5}, "count"),
    ],
)
def test_the_simulator_refuses_fields_out_of_the_document(simulator, products, change, words):
    base_url, _sim = simulator
    body = {key: value for key, value in {**valid_body(products), **change}.items() if value is not None}

    assert_refused(post(base_url, body), 400, words)


def test_the_simulator_refuses_more_than_100_product_images(simulator, products):
    base_url, _sim = simulator

    response = post(base_url, valid_body(products[:1] * 101))

    assert_refused(response, 400, "最多 100 张")


def test_the_simulator_refuses_more_than_100_child_tasks(simulator, products):
    base_url, sim = simulator
    coins = sim.state["imagewash"]["coins"]

    response = post(base_url, {**valid_body(products[:1] * 51), "count": 2})

    assert_refused(response, 400, "单次最多生成 100 个子任务")
    assert sim.state["imagewash"]["coins"] == coins


def test_the_simulator_answers_429_in_its_own_envelope(simulator, products):
    base_url, sim = simulator
    sim.add_fault(Fault("rate_limit", vendor="imagewash"))

    assert_refused(post(base_url, valid_body(products)), 429, "队列已满")


def test_the_simulator_result_endpoint_wants_the_token_and_a_known_task(simulator):
    base_url, _sim = simulator

    assert_refused(httpx.get(base_url + RESULT, params={"taskId": "task_x"}), 401, "X-API-Token")
    assert_refused(
        httpx.get(base_url + RESULT, params={"taskId": "task_x"}, headers={"X-API-Token": TOKEN}), 404, "任务不存在"
    )
    assert_refused(httpx.get(base_url + RESULT, headers={"X-API-Token": TOKEN}), 400, "taskId")


def test_the_simulator_answers_results_in_the_documented_shape(simulator, products):
    base_url, sim = simulator
    sim.latency = 0.0
    task_id = post(base_url, valid_body(products)).json()["data"]["taskId"]

    answer = httpx.get(base_url + RESULT, params={"taskId": task_id}, headers={"X-API-Token": TOKEN}).json()

    assert answer["code"] == 200
    assert set(answer["data"]) == {"taskId", "status", "results", "resultImageUrls", "recordId"}
    assert answer["data"]["status"] == "completed"
    assert [result["fileType"] for result in answer["data"]["results"]] == ["image", "image"]
    assert [result["fileUrl"] for result in answer["data"]["results"]] == answer["data"]["resultImageUrls"]
