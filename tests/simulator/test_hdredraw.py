"""The hdredraw adapter against the hdredraw simulator over real loopback HTTP, and the simulator's own
strictness: requests that deviate from the vendor document seeds/002_ab2ed2c4a78d8f62.txt are refused as the
vendor would refuse them."""

import io
import time

import httpx
import pytest
from PIL import Image

from studio.simulator import hdredraw as simulated
from studio.simulator.core import Fault
from studio.vendors.base import ErrorClass, FileKind, InputImage, Status, SubmitRequest, VendorError
from studio.vendors.hdredraw import HdRedrawAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import png_bytes

USER_KEY = simulated.DEMO_CREDENTIALS["user_key"]
PRODUCT = png_bytes((64, 48))


@pytest.fixture
def simulator(run_simulator):  # noqa: F811
    base_url, sim = run_simulator(simulated, latency=0.2)
    sim.state["hdredraw"]["status_cache_seconds"] = 0.05  # the 3 s cache has its own test
    return base_url, sim


@pytest.fixture
def adapter(simulator):
    base_url, _ = simulator
    return HdRedrawAdapter(base_url=base_url, credentials=dict(simulated.DEMO_CREDENTIALS))


def product(content: bytes = PRODUCT) -> InputImage:
    return InputImage("product", "", name="product.png", content_type="image/png", open=lambda: io.BytesIO(content))


def request_for(operation, params=None, content: bytes = PRODUCT) -> SubmitRequest:
    return SubmitRequest(operation, "", params or {}, (product(content),))


def run(adapter, operation, params=None, content: bytes = PRODUCT, deadline: float = 5.0):
    state = adapter.submit(adapter.validate(request_for(operation, params, content)))
    assert state.status == Status.QUEUED
    give_up = time.monotonic() + deadline
    while not state.status.is_terminal:
        assert time.monotonic() < give_up, "the task did not finish in time"
        time.sleep(0.05)
        state = adapter.poll(state.vendor_task_id)
    return state


def downloaded(adapter, state, kind=FileKind.IMAGE) -> list[bytes]:
    return [adapter.http.download(file.url) for file in state.files if file.kind == kind]


def as_image(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def post(base_url, path, data=None, files=None, **kwargs) -> httpx.Response:
    return httpx.post(f"{base_url}{path}", data=data, files=files, timeout=10, **kwargs)


def image_file(content: bytes = PRODUCT):
    return {"input_image": ("product.png", content, "image/png")}


# Every operation, end to end -------------------------------------------------------------------


def test_it_upscales_by_the_requested_factor(adapter):
    state = run(adapter, Operation.UPSCALE, {"upscale": 2})

    assert state.status == Status.SUCCEEDED
    [image] = downloaded(adapter, state)
    assert as_image(image).size == (128, 96)
    assert [file.kind for file in state.files] == [FileKind.IMAGE]
    assert state.balance.remaining_count is not None


def test_it_adds_an_eps_vector_and_a_generated_prompt_to_an_upscale_when_asked(adapter):
    state = run(adapter, Operation.UPSCALE, {"vector_switch": True, "color_count": 4, "auto_generate_prompt": True})

    assert state.status == Status.SUCCEEDED
    [vector] = downloaded(adapter, state, FileKind.VECTOR)
    assert vector.startswith(b"%!PS")
    assert as_image(downloaded(adapter, state)[0]).format == "PNG"
    assert "high quality" in state.details["generated_prompt"]


def test_it_vectorizes_into_an_eps_and_a_quantized_preview(adapter):
    gradient = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
    buffer = io.BytesIO()
    gradient.save(buffer, "PNG")
    state = run(adapter, Operation.VECTORIZE, {"color_count": 3}, content=buffer.getvalue())

    [vector] = downloaded(adapter, state, FileKind.VECTOR)
    assert vector.startswith(b"%!PS")
    [preview] = downloaded(adapter, state)
    assert len(as_image(preview).convert("RGB").getcolors()) <= 3


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (Operation.FACE_ENHANCE, {}),
        (Operation.REMOVE_FABRIC, {}),
        (Operation.REMOVE_RHINESTONES, {}),
        (Operation.REMOVE_WATERMARK, {}),
        (Operation.AI_EDIT, {"prompt": "将这张图片转换为水彩画风格", "model_version": "v2"}),
    ],
)
def test_it_returns_one_cleaned_or_edited_image_of_the_products_size(adapter, operation, params):
    state = run(adapter, operation, params)

    assert state.status == Status.SUCCEEDED
    assert [file.kind for file in state.files] == [FileKind.IMAGE]
    [image] = downloaded(adapter, state)
    assert as_image(image).size == (64, 48)


def test_it_edits_visibly_after_the_prompt(adapter):
    [edited] = downloaded(adapter, run(adapter, Operation.AI_EDIT, {"prompt": "watercolour"}))
    assert as_image(edited).convert("RGB").tobytes() != as_image(PRODUCT).convert("RGB").tobytes()


@pytest.mark.parametrize(("direction", "columns", "rows"), [(0, 2, 2), (1, 1, 2), (2, 2, 1)])
def test_it_makes_a_seamless_tile_with_its_grid_and_one_x_image(adapter, direction, columns, rows):
    state = run(adapter, Operation.SEAMLESS_TILE, {"direction": direction, "expand_top": 0.25})

    assert state.status == Status.SUCCEEDED
    assert sorted(file.kind for file in state.files) == sorted([FileKind.IMAGE, FileKind.GRID, FileKind.ALTERNATIVE])
    [one_x] = downloaded(adapter, state, FileKind.ALTERNATIVE)
    tile = as_image(one_x)
    assert tile.size == (64, 60)  # 48 px high, expanded by a quarter
    [grid] = downloaded(adapter, state, FileKind.GRID)
    assert as_image(grid).size == (64 * columns, 60 * rows)
    [main] = downloaded(adapter, state)
    assert as_image(main).size == (128, 120)


def test_it_extracts_two_patterns_at_the_aspect_ratio(adapter):
    state = run(adapter, Operation.EXTRACT_PATTERN, {"aspect_ratio": "16:9"})

    assert state.status == Status.SUCCEEDED
    assert [file.kind for file in state.files] == [FileKind.IMAGE, FileKind.IMAGE]
    assert len(set(file.url for file in state.files)) == 2
    sizes = [as_image(content).size for content in downloaded(adapter, state)]
    assert sizes == [(512, 288), (512, 288)]


def test_it_expands_by_the_requested_ratios(adapter):
    state = run(
        adapter, Operation.EXPAND, {"expand_top": 0.25, "expand_bottom": 0.25, "expand_left": 0.0, "expand_right": 0.25}
    )

    [expanded] = downloaded(adapter, state)
    assert as_image(expanded).size == (80, 72)


# Account, cache and faults ---------------------------------------------------------------------


def test_it_counts_down_the_account_and_reports_it_as_the_balance(adapter, simulator):
    _, sim = simulator
    sim.state["hdredraw"].update(remaining_count=2, remaining_money=10)

    first = adapter.submit(request_for(Operation.REMOVE_WATERMARK))
    second = adapter.submit(request_for(Operation.REMOVE_WATERMARK))
    third = adapter.submit(request_for(Operation.REMOVE_WATERMARK))

    assert (first.balance.remaining_count, first.balance.remaining_money) == (1, 10)
    assert (second.balance.remaining_count, second.balance.remaining_money) == (0, 10)
    assert (third.balance.remaining_count, third.balance.remaining_money) == (0, 9)  # money once the runs are gone


def test_it_refuses_a_task_once_the_account_is_exhausted(adapter, simulator):
    _, sim = simulator
    sim.state["hdredraw"].update(remaining_count=0, remaining_money=0)

    with pytest.raises(VendorError) as raised:
        adapter.submit(adapter.validate(request_for(Operation.UPSCALE)))
    assert raised.value.error_class == ErrorClass.INSUFFICIENT_BALANCE
    assert raised.value.message == "账户剩余次数不足"


def test_it_answers_the_same_status_for_3_seconds(adapter, simulator):
    _, sim = simulator
    sim.state["hdredraw"]["status_cache_seconds"] = simulated.STATUS_CACHE_SECONDS
    assert simulated.STATUS_CACHE_SECONDS == 3.0

    started = time.monotonic()
    task_id = adapter.submit(request_for(Operation.REMOVE_FABRIC)).vendor_task_id
    first = adapter.poll(task_id)
    time.sleep(0.5)  # the task is done after 0.2 s…
    cached = adapter.poll(task_id)
    assert first.status == cached.status == Status.RUNNING  # …but the cached answer still says it runs
    assert cached.raw == first.raw

    time.sleep(max(0.0, started + 3.1 - time.monotonic()))
    assert adapter.poll(task_id).status == Status.SUCCEEDED


def test_it_fails_a_task_the_simulator_fails_with_a_message(adapter, simulator):
    _, sim = simulator
    sim.add_fault(Fault("fail_task", vendor="hdredraw"))

    state = run(adapter, Operation.REMOVE_WATERMARK)

    assert state.status == Status.FAILED
    assert state.raw["status"] == "Failed"
    assert state.error.message
    assert state.files == []


def test_it_returns_one_pattern_of_a_partial_extraction(adapter, simulator):
    _, sim = simulator
    sim.add_fault(Fault("partial_failure", vendor="hdredraw"))

    state = run(adapter, Operation.EXTRACT_PATTERN)

    assert state.status == Status.SUCCEEDED
    assert len(state.files) == 1
    assert state.raw["images_urls"] == [state.raw["images_url"]]


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        (Fault("rate_limit", vendor="hdredraw"), ErrorClass.RATE_LIMITED),
        (Fault("server_error", vendor="hdredraw", status=503), ErrorClass.TRANSIENT),
        (Fault("malformed_json", vendor="hdredraw"), ErrorClass.TRANSIENT),
    ],
)
def test_it_classifies_the_simulators_faults(adapter, simulator, fault, error_class):
    _, sim = simulator
    sim.add_fault(fault)
    with pytest.raises(VendorError) as raised:
        adapter.submit(request_for(Operation.REMOVE_WATERMARK))
    assert raised.value.error_class == error_class


def test_it_answers_429_in_the_vendors_own_shape(simulator):
    base_url, sim = simulator
    sim.add_fault(Fault("rate_limit", vendor="hdredraw"))
    response = post(base_url, "/api/check_task_status", files={"user_key": (None, USER_KEY), "task_id": (None, "x")})
    assert response.status_code == 429
    assert response.json()["err_code"] == 1


def test_it_refuses_a_wrong_user_key_at_submit_and_at_status(simulator):
    base_url, _ = simulator
    adapter = HdRedrawAdapter(base_url=base_url, credentials={"user_key": "wrong"})
    for call in (lambda: adapter.submit(request_for(Operation.FACE_ENHANCE)), lambda: adapter.poll("hd_1")):
        with pytest.raises(VendorError) as raised:
            call()
        assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS
        assert raised.value.message == "账户不存在"
    with pytest.raises(VendorError):
        adapter.check_connection()


def test_it_says_an_unknown_task_is_not_found_yet(adapter):
    with pytest.raises(VendorError) as raised:
        adapter.poll("hd_does_not_exist")
    assert raised.value.message == "任务未找到或状态未知"
    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_accepts_the_demo_key_in_the_connection_check(adapter):
    assert adapter.check_connection()


def test_it_refuses_an_unreadable_image_at_submit(adapter):
    with pytest.raises(VendorError) as raised:
        adapter.submit(request_for(Operation.REMOVE_WATERMARK, content=b"not an image"))
    assert raised.value.message.startswith("任务提交失败:")


# Strictness: raw requests that deviate from the document -----------------------------------------


def upscale_fields(**changes) -> dict[str, str]:
    fields = {
        "user_key": USER_KEY,
        "sdxl_model_dropdown": "通用模型",
        "style_dropdown": "通用风格",
        "upscale": "1.0",
        "s_noise": "1.003",
        "steps": "30",
        "high_fidelity": "false",
        "strong_inpaint": "false",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def test_it_takes_the_documents_own_sample_request(simulator):
    base_url, _ = simulator
    response = post(base_url, "/api/submit_task", data=upscale_fields(), files=image_file())
    body = response.json()
    assert response.status_code == 200
    assert body["err_code"] == 0
    assert set(body) == {"err_code", "task_id", "remaining_count", "remaining_money"}


def test_it_refuses_a_urlencoded_status_check(simulator):
    base_url, _ = simulator
    task_id = post(base_url, "/api/submit_task", data=upscale_fields(), files=image_file()).json()["task_id"]
    response = post(base_url, "/api/check_task_status", data={"user_key": USER_KEY, "task_id": task_id})
    assert response.status_code == 400
    assert response.json()["err_code"] == 1


def test_it_refuses_json_where_multipart_is_documented(simulator):
    base_url, _ = simulator
    response = httpx.post(f"{base_url}/api/submit_edit_image_task", json={"user_key": USER_KEY, "prompt": "x"})
    assert response.status_code == 400
    assert response.json()["err_code"] == 1


@pytest.mark.parametrize("user_key", [None, "", "wrong-key"])
def test_it_refuses_a_missing_or_wrong_user_key(simulator, user_key):
    base_url, _ = simulator
    response = post(base_url, "/api/submit_task", data=upscale_fields(user_key=user_key), files=image_file())
    assert response.json() == {"err_code": 1, "err_msg": "账户不存在"}


def test_it_refuses_the_user_key_in_a_header_instead_of_the_form(simulator):
    base_url, _ = simulator
    response = post(
        base_url,
        "/api/submit_remove_watermark_task",
        data={"placeholder": "x"},
        files=image_file(),
        headers={"Authorization": f"Bearer {USER_KEY}"},
    )
    assert response.json()["err_msg"] == "账户不存在"


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/api/submit_task", upscale_fields(sdxl_model_dropdown=None), "参数错误:缺少参数 sdxl_model_dropdown"),
        ("/api/submit_task", upscale_fields(strong_inpaint=None), "参数错误:缺少参数 strong_inpaint"),
        ("/api/submit_task", upscale_fields(upscale="9"), "参数错误:upscale必须在1-8之间"),
        ("/api/submit_task", upscale_fields(s_noise="1.2"), "参数错误:s_noise必须在1-1.1之间"),
        ("/api/submit_task", upscale_fields(steps="41"), "参数错误:steps必须在20-40之间"),
        (
            "/api/submit_task",
            upscale_fields(strong_inpaint_intensity="2"),
            "参数错误:strong_inpaint_intensity必须在0-1之间",
        ),
        ("/api/submit_task", upscale_fields(high_fidelity="True"), "参数错误:high_fidelity必须是true或false"),
        ("/api/submit_task", upscale_fields(color_count="17"), "参数错误:color_count必须在2-16之间"),
        ("/api/submit_vector_task", {"user_key": USER_KEY, "color_count": "1"}, "参数错误:color_count必须在2-16之间"),
        ("/api/submit_vector_task", {"user_key": USER_KEY, "color_count": "5.0"}, "参数错误:color_count必须是整数"),
        ("/api/submit_seamless_task", {"user_key": USER_KEY, "fit": "0.95"}, "参数错误:fit必须在0.1-0.9之间"),
        ("/api/submit_seamless_task", {"user_key": USER_KEY, "direction": "3"}, "参数错误:direction必须在0-2之间"),
        (
            "/api/submit_seamless_task",
            {"user_key": USER_KEY, "expand_left": "0.31"},
            "扩展参数错误:expand_left必须在0.0-0.3之间",
        ),
        (
            "/api/submit_expand_image_task",
            {"user_key": USER_KEY, "expand_top": "0.4"},
            "扩展参数错误:expand_top必须在0.0-0.3之间",
        ),
        ("/api/submit_edit_image_task", {"user_key": USER_KEY}, "参数错误:缺少参数 prompt"),
        (
            "/api/submit_edit_image_task",
            {"user_key": USER_KEY, "prompt": "x", "model_version": "v3"},
            "参数错误:model_version必须是v1或v2",
        ),
        ("/api/submit_extract_pattern_task", {"user_key": USER_KEY, "aspect_ratio": "wide"}, "格式应为"),
    ],
)
def test_it_refuses_missing_and_out_of_range_fields_with_the_vendors_message(simulator, path, data, message):
    base_url, sim = simulator
    response = post(base_url, path, data=data, files=image_file())
    body = response.json()
    assert response.status_code == 200
    assert body["err_code"] == 1
    assert message in body["err_msg"]
    assert not sim.tasks


def test_it_refuses_a_submit_without_the_image_file(simulator):
    base_url, _ = simulator
    as_field = post(
        base_url, "/api/submit_remove_fabric_task", files={"user_key": (None, USER_KEY), "input_image": (None, "x")}
    )
    assert as_field.json() == {"err_code": 1, "err_msg": "参数错误:缺少参数 input_image"}


def test_it_refuses_a_file_over_16_mb(simulator):
    base_url, sim = simulator
    response = post(
        base_url,
        "/api/submit_remove_watermark_task",
        data={"user_key": USER_KEY},
        files=image_file(b"\0" * (16 * 1024 * 1024 + 1)),
    )
    assert response.json() == {"err_code": 1, "err_msg": "文件大小不能超过16MB"}
    assert not sim.tasks


def test_it_does_not_charge_a_refused_request(simulator):
    base_url, sim = simulator
    before = dict(sim.state["hdredraw"])
    post(base_url, "/api/submit_task", data=upscale_fields(upscale="9"), files=image_file())
    assert sim.state["hdredraw"] == before


def test_it_gives_urls_and_balance_only_once_completed(simulator):
    base_url, sim = simulator
    sim.latency = 1.5  # room for a busy machine between submit and the first check
    task_id = post(
        base_url, "/api/submit_remove_watermark_task", data={"user_key": USER_KEY}, files=image_file()
    ).json()["task_id"]
    check = {"user_key": (None, USER_KEY), "task_id": (None, task_id)}
    running = post(base_url, "/api/check_task_status", files=check).json()
    assert running["err_code"] == 0
    assert "images_url" not in running
    assert "remaining_count" not in running
    time.sleep(1.6)
    done = post(base_url, "/api/check_task_status", files=check).json()
    assert done["status"] == "Completed"
    assert done["images_url"]
    assert (done["vector_url"], done["grid_url"]) == ("", "")
    assert "images_urls" not in done
    assert isinstance(done["remaining_count"], int)
