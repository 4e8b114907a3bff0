"""The suchuang adapter against the simulated 速创生图 platform over real loopback HTTP."""

import io
import json
import time

import httpx
import pytest
from PIL import Image

from studio.simulator import suchuang as simulated
from studio.simulator.core import Fault
from studio.vendors.base import ErrorClass, InputImage, Outcome, Status, SubmitRequest, VendorError
from studio.vendors.operations import Operation
from studio.vendors.suchuang import SuchuangAdapter
from tests.vendor_fixtures import png_bytes

TOKEN = simulated.DEMO_CREDENTIALS["token"]


@pytest.fixture
def platform(run_simulator):  # noqa: F811
    base_url, sim = run_simulator(simulated, latency=0.2)
    adapter = SuchuangAdapter(base_url=base_url, credentials=dict(simulated.DEMO_CREDENTIALS))
    return adapter, sim


def text_request(model="sc_soraimg_text_1x1", prompt="一只可爱的柴犬"):
    return SubmitRequest(Operation.TEXT_TO_IMAGE, model, {"prompt": prompt})


def image_request(urls, model="sc_soraimg_img2img_1x1", prompt="转换为卡通Q版风格"):
    inputs = tuple(InputImage("reference", url) for url in urls)
    return SubmitRequest(Operation.IMAGE_TO_IMAGE, model, {"prompt": prompt}, inputs)


def until_done(adapter, task_no, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = adapter.poll(task_no)
        if state.status.is_terminal:
            return state
        time.sleep(0.05)
    raise AssertionError(f"{task_no} did not finish in {seconds} s")


def result_image(adapter, state) -> Image.Image:
    assert len(state.files) == 1
    image = Image.open(io.BytesIO(adapter.http.download(state.files[0].url)))
    image.load()
    return image


def shape_of(image) -> str:
    if image.width == image.height:
        return "square"
    return "portrait" if image.height > image.width else "landscape"


def raw_submit(sim, body, *, token=TOKEN, scheme="Bearer", **kwargs):
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    if body is not None:
        kwargs["json"] = body
    return httpx.post(f"{sim.public_url}/user/ai/tasks/submit", headers=headers, timeout=10, **kwargs)


# Every operation, end to end ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "shape"),
    [
        ("sc_soraimg_text_auto", "square"),
        ("sc_soraimg_text_1x1", "square"),
        ("sc_soraimg_text_2x3", "portrait"),
        ("sc_soraimg_text_3x2", "landscape"),
    ],
)
def test_it_generates_text_to_image_at_the_ratio_the_model_names(platform, model, shape):
    adapter, sim = platform

    submitted = adapter.submit(text_request(model))
    state = until_done(adapter, submitted.vendor_task_id)

    assert submitted.status == Status.QUEUED and submitted.raw["status"] == "created"
    assert submitted.vendor_task_id.startswith("TASK-")
    assert state.status == Status.SUCCEEDED and state.progress == 100 and state.cost == 30
    image = result_image(adapter, state)
    assert shape_of(image) == shape
    assert max(image.size) / min(image.size) == pytest.approx(1.0 if shape == "square" else 1.5, abs=0.01)


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("sc_soraimg_img2img_auto", (768, 576)),  # the reference's own 4:3
        ("sc_soraimg_img2img_1x1", (768, 768)),
        ("sc_soraimg_img2img_2x3", (512, 768)),
        ("sc_soraimg_img2img_3x2", (768, 512)),
    ],
)
def test_it_restyles_the_reference_for_image_to_image(platform, image_host, model, size):  # noqa: F811
    adapter, sim = platform
    url = image_host.put("product.png", png_bytes((64, 48), (200, 40, 40)))

    state = until_done(adapter, adapter.submit(image_request([url], model)).vendor_task_id)

    assert state.status == Status.SUCCEEDED and state.cost == 35
    assert state.details["imageUrl"] == url
    image = result_image(adapter, state).convert("RGB")
    assert image.size == size
    red, green, blue = image.getpixel((size[0] // 2, size[1] // 2))
    assert red > green and red > blue  # the red product sits in the middle of the restyled canvas


def test_it_takes_several_references_as_a_json_array_string(platform, image_host):  # noqa: F811
    adapter, sim = platform
    urls = [image_host.put("a.png", png_bytes((40, 80))), image_host.put("b.png", png_bytes((80, 40)))]

    state = until_done(adapter, adapter.submit(image_request(urls, "sc_soraimg_img2img_auto")).vendor_task_id)

    assert json.loads(state.details["imageUrl"]) == urls
    assert result_image(adapter, state).size == (384, 768)  # "auto" follows the first reference (1:2)


def test_it_reports_created_then_queued_processing_and_completed_with_progress(run_simulator):  # noqa: F811
    base_url, sim = run_simulator(simulated, latency=1.0)
    adapter = SuchuangAdapter(base_url=base_url, credentials=dict(simulated.DEMO_CREDENTIALS))

    task_no = adapter.submit(text_request()).vendor_task_id
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        state = adapter.poll(task_no)
        seen.append((state.raw["status"], state.progress))
        if state.status.is_terminal:
            break
        time.sleep(0.05)

    statuses = [status for status, _ in seen]
    assert statuses[0] == "queued" and "processing" in statuses and statuses[-1] == "completed"
    progress = [value for _, value in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert state.raw["completeTime"] is not None


# Points ------------------------------------------------------------------------------------------


def test_it_charges_points_at_submit(platform, image_host):  # noqa: F811
    adapter, sim = platform
    before = adapter.balance().points

    adapter.submit(text_request())
    adapter.submit(image_request([image_host.put("p.png")]))

    assert adapter.balance().points == before - 30 - 35
    assert "points left" in adapter.check_connection()


def test_it_fails_a_task_with_a_message_and_refunds_its_points(platform):
    adapter, sim = platform
    before = adapter.balance().points
    sim.add_fault(Fault("fail_task", vendor="suchuang"))

    submitted = adapter.submit(text_request())
    assert adapter.balance().points == before - 30
    state = until_done(adapter, submitted.vendor_task_id)

    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT
    assert "积分已退还" in state.error.message
    assert state.files == [] and state.cost == 0
    assert adapter.balance().points == before
    adapter.poll(submitted.vendor_task_id)
    assert adapter.balance().points == before  # refunded once only


def test_it_refuses_a_task_the_balance_cannot_pay_for(platform):
    adapter, sim = platform
    sim.state["suchuang"]["points"] = 29

    with pytest.raises(VendorError) as error:
        adapter.submit(text_request())

    assert error.value.error_class == ErrorClass.INSUFFICIENT_BALANCE
    assert error.value.http_status == 402
    assert "积分不足" in error.value.message
    assert adapter.balance().points == 29
    assert adapter.task_list().total == 0


# Faults and errors -------------------------------------------------------------------------------


def test_it_reads_the_platforms_429_as_rate_limited(platform):
    adapter, sim = platform
    sim.add_fault(Fault("rate_limit", vendor="suchuang", endpoint="/submit"))

    with pytest.raises(VendorError) as error:
        adapter.submit(text_request())

    assert error.value.error_class == ErrorClass.RATE_LIMITED
    assert error.value.message == "请求过于频繁,请稍后再试"
    assert adapter.submit(text_request()).status == Status.QUEUED


@pytest.mark.parametrize("fault", ["server_error", "malformed_json"])
def test_it_reads_server_trouble_as_transient(platform, fault):
    adapter, sim = platform
    sim.add_fault(Fault(fault, vendor="suchuang"))

    with pytest.raises(VendorError) as error:
        adapter.balance()

    assert error.value.error_class == ErrorClass.TRANSIENT


@pytest.mark.parametrize("errors_in_body", [False, True])
def test_it_reads_a_wrong_token_as_bad_credentials_however_the_error_travels(platform, errors_in_body):
    adapter, sim = platform
    sim.state["suchuang"]["errors_in_body"] = errors_in_body
    wrong = SuchuangAdapter(base_url=adapter.base_url, credentials={"token": "expired.jwt.token"})

    with pytest.raises(VendorError) as error:
        wrong.check_connection()

    assert error.value.error_class == ErrorClass.BAD_CREDENTIALS
    assert error.value.http_status == (200 if errors_in_body else 401)
    assert error.value.message == "未登录或Token过期"


def test_it_reads_an_unknown_task_as_permanent(platform):
    adapter, sim = platform

    with pytest.raises(VendorError) as error:
        adapter.poll("TASK-20251026153045123-4567")

    assert error.value.error_class == ErrorClass.PERMANENT
    assert error.value.message == "任务不存在"


@pytest.mark.parametrize("content", [None, b"<html>not an image</html>"])
def test_it_refuses_a_reference_the_platform_cannot_fetch_for_now_and_charges_nothing(platform, image_host, content):  # noqa: F811
    adapter, sim = platform
    url = image_host.put("page.html", content) if content else image_host.url("missing.png")
    before = adapter.balance().points

    with pytest.raises(VendorError) as error:
        adapter.submit(image_request([url]))

    assert (error.value.error_class, error.value.outcome) == (ErrorClass.TRANSIENT, Outcome.REFUSED)
    assert error.value.http_status == 400
    assert "参考图无法访问" in error.value.message
    assert adapter.balance().points == before


# Task list ---------------------------------------------------------------------------------------


def test_it_lists_tasks_newest_first_with_pages_and_filters(platform, image_host):  # noqa: F811
    adapter, sim = platform
    text_tasks = [adapter.submit(text_request(prompt=f"第{n}只猫")).vendor_task_id for n in range(3)]
    image_task = adapter.submit(image_request([image_host.put("p.png")])).vendor_task_id
    until_done(adapter, image_task)

    first, second = adapter.task_list(page=1, size=3), adapter.task_list(page=2, size=3)
    assert [task.vendor_task_id for task in first.tasks + second.tasks] == [image_task, *reversed(text_tasks)]
    assert (first.total, first.page, first.size, len(second.tasks)) == (4, 1, 3, 1)

    images_only = adapter.task_list(task_type=Operation.IMAGE_TO_IMAGE)
    assert [task.vendor_task_id for task in images_only.tasks] == [image_task]
    text_only = adapter.task_list(task_type="text_to_image", status="completed")
    assert sorted(task.vendor_task_id for task in text_only.tasks) == sorted(text_tasks)
    assert all(task.files for task in text_only.tasks)


def test_it_refuses_list_parameters_out_of_range(platform):
    adapter, sim = platform

    for query in ({"size": 0}, {"page": 0}, {"size": 101}, {"status": "done"}, {"taskType": "video"}):
        answer = httpx.get(
            f"{sim.public_url}/user/ai/tasks/list", params=query, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 400, query
        assert answer.json()["code"] == 400 and answer.json()["message"].startswith("参数错误")


# Strictness: requests that deviate from the document ---------------------------------------------


def test_it_accepts_the_documents_own_request_with_a_null_image_url(platform):
    adapter, sim = platform
    answer = raw_submit(sim, {"modelName": "sc_soraimg_text_1x1", "prompt": "一只可爱的柴犬", "imageUrl": None})

    assert answer.status_code == 200
    body = answer.json()
    assert body["code"] == 200 and body["message"] == "success"
    assert body["data"]["status"] == "created" and body["data"]["taskNo"].startswith("TASK-")


@pytest.mark.parametrize(
    ("token", "scheme"),
    [("", "Bearer"), ("not-the-token", "Bearer"), (TOKEN, "Token"), (TOKEN, "bearer")],
)
def test_it_refuses_a_missing_or_wrong_bearer_token(platform, token, scheme):
    adapter, sim = platform
    answer = raw_submit(sim, {"modelName": "sc_soraimg_text_1x1", "prompt": "猫"}, token=token, scheme=scheme)

    assert answer.status_code == 401
    assert answer.json() == {"code": 401, "message": "未登录或Token过期", "data": None}


def test_it_refuses_a_form_instead_of_json(platform):
    adapter, sim = platform
    answer = raw_submit(sim, None, data={"modelName": "sc_soraimg_text_1x1", "prompt": "猫"})

    assert answer.status_code == 400
    assert "JSON" in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"prompt": "猫"}, "modelName不能为空"),
        ({"modelName": "sc_soraimg_text_16x9", "prompt": "猫"}, "不支持的模型"),
        ({"modelName": "sc_soraimg_text_1x1"}, "prompt不能为空"),
        ({"modelName": "sc_soraimg_text_1x1", "prompt": "  "}, "prompt不能为空"),
        ({"modelName": "sc_soraimg_img2img_1x1", "prompt": "猫"}, "必须提供imageUrl"),
        ({"modelName": "sc_soraimg_text_1x1", "prompt": "猫", "imageUrl": "https://example.com/a.jpg"}, "文生图"),
        ({"modelName": "sc_soraimg_img2img_1x1", "prompt": "猫", "imageUrl": ["https://example.com/a.jpg"]}, "字符串"),
        ({"modelName": "sc_soraimg_img2img_1x1", "prompt": "猫", "imageUrl": '["https://example.com/a.jpg"'}, "JSON"),
        ({"modelName": "sc_soraimg_img2img_1x1", "prompt": "猫", "imageUrl": "[]"}, "JSON数组"),
        ({"modelName": "sc_soraimg_img2img_1x1", "prompt": "猫", "imageUrl": "ftp://example.com/a.jpg"}, "http"),
        (
            {
                "modelName": "sc_soraimg_img2img_1x1",
                "prompt": "猫",
                "imageUrl": json.dumps([f"https://example.com/{n}.jpg" for n in range(7)]),
            },
            "最多6张",
        ),
    ],
)
def test_it_refuses_a_submit_that_breaks_the_document(platform, body, words):
    adapter, sim = platform
    before = sim.state["suchuang"]["points"]

    answer = raw_submit(sim, body)

    assert answer.status_code == 400
    assert answer.json()["code"] == 400
    assert words in answer.json()["message"]
    assert sim.state["suchuang"]["points"] == before


def test_it_forgets_tasks_when_the_simulator_is_reset(platform):
    adapter, sim = platform
    task_no = adapter.submit(text_request()).vendor_task_id

    httpx.post(f"{sim.public_url}/_simulator/reset")

    with pytest.raises(VendorError) as error:
        adapter.poll(task_no)
    assert error.value.error_class == ErrorClass.PERMANENT
    assert adapter.task_list().total == 0
