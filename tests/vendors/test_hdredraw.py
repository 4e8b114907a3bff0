"""Wire tests for the hdredraw adapter against the vendor document seeds/002_ab2ed2c4a78d8f62.txt: the exact requests
it sends, the document's own example answers, every documented error message, and validation before sending."""

import io
import logging

import httpx
import pytest

from studio.simulator.core import Request
from studio.vendors.base import (
    ErrorClass,
    FileKind,
    InputImage,
    InvalidParameters,
    Outcome,
    Status,
    SubmitRequest,
    VendorError,
)
from studio.vendors.hdredraw import CATALOGUE, SUBMIT_PATHS, HdRedrawAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import png_bytes, transport_outcomes

BASE_URL = "http://www.xxx.com"
USER_KEY = "test-key"  # the document's sample key
PNG = png_bytes()

# The document's submit answer (the same for every submit endpoint).
SUBMIT_ANSWER = {"err_code": 0, "task_id": "字符串", "remaining_count": 5, "remaining_money": 300}

# The document's two check_task_status examples.
SINGLE_IMAGE_ANSWER = {
    "err_code": 0,
    "status": "Completed",
    "images_url": "https://api.domain.com/api/images/xxx/task123",
    "vector_url": "https://api.domain.com/api/images/xxx/task123/vector",
    "grid_url": "https://api.domain.com/api/images/xxx/task123/grid",
    "generated_prompt": "high quality, detailed, sharp, professional photography, beautiful lighting",
    "remaining_count": 5,
    "remaining_money": 300,
}
MULTI_IMAGE_ANSWER = {
    "err_code": 0,
    "status": "Completed",
    "images_url": "https://api.domain.com/api/images/xxx/task123",
    "images_urls": [
        "https://api.domain.com/api/images/xxx/task123",
        "https://api.domain.com/api/images/xxx/task123/alternative/1",
    ],
    "vector_url": "",
    "grid_url": "",
    "generated_prompt": "vibrant pattern, textile design, seamless repeat, colorful motifs",
    "remaining_count": 5,
    "remaining_money": 300,
}


@pytest.fixture
def adapter(recorder):
    return HdRedrawAdapter(base_url=BASE_URL, credentials={"user_key": USER_KEY}, http=recorder.http([USER_KEY]))


def product(content: bytes = PNG, name: str = "test3.png") -> InputImage:
    return InputImage("product", "", name=name, content_type="image/png", open=lambda: io.BytesIO(content))


def request_for(operation, params=None, inputs=None) -> SubmitRequest:
    return SubmitRequest(operation, "", params or {}, tuple(inputs if inputs is not None else [product()]))


def sent_form(request: httpx.Request):
    """The recorded request's multipart body as (fields, files), parsed the way a server would."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    return Request(request.method, request.url.path, {}, headers, request.content).form()


def submit(adapter, recorder, operation, params):
    recorder.answer(json=SUBMIT_ANSWER)
    return adapter.submit(adapter.validate(request_for(operation, params)))


# Submits -------------------------------------------------------------------------------------


def test_it_submits_an_hd_redraw_with_every_field_of_the_documents_sample(adapter, recorder):
    sample = {
        "sdxl_model_dropdown": "通用模型",
        "style_dropdown": "通用风格",
        "prompt": "",
        "neg_prompt": "",
        "upscale": 1.0,
        "s_noise": 1.003,
        "steps": 30,
        "high_fidelity": False,
        "strong_inpaint": False,
        "vector_switch": False,
        "color_count": 5,
        "auto_generate_prompt": False,
    }
    state = submit(adapter, recorder, Operation.UPSCALE, sample)

    sent = recorder.last
    assert sent.method == "POST"
    assert str(sent.url) == "http://www.xxx.com/api/submit_task"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    fields, files = sent_form(sent)
    assert fields == {
        "user_key": "test-key",
        "sdxl_model_dropdown": "通用模型",
        "style_dropdown": "通用风格",
        "prompt": "",
        "neg_prompt": "",
        "upscale": "1.0",
        "s_noise": "1.003",
        "steps": "30",
        "high_fidelity": "false",
        "strong_inpaint": "false",
        "strong_inpaint_intensity": "0.5",
        "vector_switch": "false",
        "color_count": "5",
        "auto_generate_prompt": "false",
    }
    assert files == {"input_image": ("test3.png", PNG, "image/png")}
    assert state.status == Status.QUEUED
    assert state.vendor_task_id == "字符串"
    assert state.balance.remaining_count == 5
    assert state.balance.remaining_money == 300
    assert state.raw == SUBMIT_ANSWER


def test_it_sends_booleans_as_true_and_false(adapter, recorder):
    submit(adapter, recorder, Operation.UPSCALE, {"high_fidelity": True, "strong_inpaint": "on", "vector_switch": 1})

    fields, _ = sent_form(recorder.last)
    assert (fields["high_fidelity"], fields["strong_inpaint"], fields["vector_switch"]) == ("true", "true", "true")
    assert fields["auto_generate_prompt"] == "false"


def test_it_fills_the_vendors_required_upscale_fields_with_defaults(adapter, recorder):
    submit(adapter, recorder, Operation.UPSCALE, {})

    fields, _ = sent_form(recorder.last)
    for name in ("sdxl_model_dropdown", "style_dropdown", "upscale", "s_noise", "steps"):
        assert fields[name]
    assert fields["upscale"] == "2.0"


# Each other endpoint with its sample's values and the fields its sample sends.
OTHER_ENDPOINTS = [
    (Operation.VECTORIZE, "/api/submit_vector_task", {"color_count": 5}, {"color_count": "5"}),
    (Operation.FACE_ENHANCE, "/api/submit_face_enhance_task", {}, {}),
    (
        Operation.SEAMLESS_TILE,
        "/api/submit_seamless_task",
        {"fit": 0.3, "direction": 0, "expand_top": 0.2, "expand_bottom": 0.1, "expand_left": 0.0, "expand_right": 0.0},
        {
            "fit": "0.3",
            "direction": "0",
            "expand_top": "0.2",
            "expand_bottom": "0.1",
            "expand_left": "0.0",
            "expand_right": "0.0",
        },
    ),
    (Operation.REMOVE_FABRIC, "/api/submit_remove_fabric_task", {}, {}),
    (
        Operation.AI_EDIT,
        "/api/submit_edit_image_task",
        {"prompt": "将这张图片转换为水彩画风格", "model_version": "v2"},
        {"prompt": "将这张图片转换为水彩画风格", "model_version": "v2"},
    ),
    (Operation.EXTRACT_PATTERN, "/api/submit_extract_pattern_task", {"aspect_ratio": "1:1"}, {"aspect_ratio": "1:1"}),
    (Operation.REMOVE_RHINESTONES, "/api/submit_remove_diamonds_task", {}, {}),
    (
        Operation.EXPAND,
        "/api/submit_expand_image_task",
        {
            "expand_top": 0.2,
            "expand_bottom": 0.1,
            "expand_left": 0.0,
            "expand_right": 0.0,
            "prompt": "延续原图的风格和内容",
        },
        {
            "expand_top": "0.2",
            "expand_bottom": "0.1",
            "expand_left": "0.0",
            "expand_right": "0.0",
            "prompt": "延续原图的风格和内容",
        },
    ),
    (Operation.REMOVE_WATERMARK, "/api/submit_remove_watermark_task", {}, {}),
]


@pytest.mark.parametrize(("operation", "path", "params", "expected"), OTHER_ENDPOINTS, ids=lambda v: str(v))
def test_it_submits_each_tool_to_its_endpoint_as_the_document_shows(
    adapter, recorder, operation, path, params, expected
):
    state = submit(adapter, recorder, operation, params)

    sent = recorder.last
    assert (sent.method, str(sent.url)) == ("POST", f"http://www.xxx.com{path}")
    assert sent.headers["content-type"].startswith("multipart/form-data")
    fields, files = sent_form(sent)
    assert fields == {"user_key": "test-key", **expected}
    assert files == {"input_image": ("test3.png", PNG, "image/png")}
    assert state.vendor_task_id == "字符串"


def test_it_covers_all_ten_submit_endpoints():
    assert len(SUBMIT_PATHS) == 10
    tested = {operation for operation, *_ in OTHER_ENDPOINTS} | {Operation.UPSCALE}
    assert tested == set(SUBMIT_PATHS)


def test_it_sends_the_input_images_own_name_and_type(adapter, recorder):
    image = InputImage("product", "", name="diamonds.jpg", content_type="image/jpeg", open=lambda: io.BytesIO(b"JPEG"))
    recorder.answer(json=SUBMIT_ANSWER)
    adapter.submit(request_for(Operation.REMOVE_RHINESTONES, inputs=[image]))

    _, files = sent_form(recorder.last)
    assert files["input_image"] == ("diamonds.jpg", b"JPEG", "image/jpeg")


def test_it_refuses_a_submit_answer_without_a_task_id_as_transient(adapter, recorder):
    recorder.answer(json={"err_code": 0})
    with pytest.raises(VendorError) as raised:
        adapter.submit(request_for(Operation.REMOVE_WATERMARK))
    assert raised.value.error_class == ErrorClass.TRANSIENT


# Status ----------------------------------------------------------------------------------------


def test_it_checks_status_as_multipart_with_user_key_and_task_id(adapter, recorder):
    recorder.answer(json=SINGLE_IMAGE_ANSWER)
    adapter.poll("task123")

    sent = recorder.last
    assert (sent.method, str(sent.url)) == ("POST", "http://www.xxx.com/api/check_task_status")
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert sent_form(sent) == ({"user_key": "test-key", "task_id": "task123"}, {})


def test_it_reads_the_documents_single_image_answer(adapter, recorder):
    recorder.answer(json=SINGLE_IMAGE_ANSWER)
    state = adapter.poll("task123")

    assert state.status == Status.SUCCEEDED
    assert [(file.url, file.kind) for file in state.files] == [
        ("https://api.domain.com/api/images/xxx/task123", FileKind.IMAGE),
        ("https://api.domain.com/api/images/xxx/task123/vector", FileKind.VECTOR),
        ("https://api.domain.com/api/images/xxx/task123/grid", FileKind.GRID),
    ]
    assert state.details["generated_prompt"] == SINGLE_IMAGE_ANSWER["generated_prompt"]
    assert (state.balance.remaining_count, state.balance.remaining_money) == (5, 300)
    assert state.raw == SINGLE_IMAGE_ANSWER


def test_it_reads_every_image_of_the_documents_multi_image_answer_and_ignores_empty_urls(adapter, recorder):
    recorder.answer(json=MULTI_IMAGE_ANSWER)
    state = adapter.poll("task123")

    assert state.status == Status.SUCCEEDED
    assert [(file.url, file.kind) for file in state.files] == [
        ("https://api.domain.com/api/images/xxx/task123", FileKind.IMAGE),
        ("https://api.domain.com/api/images/xxx/task123/alternative/1", FileKind.IMAGE),
    ]
    assert state.details["generated_prompt"] == "vibrant pattern, textile design, seamless repeat, colorful motifs"


def test_it_reads_upper_case_completed_and_the_seamless_one_x_image(adapter, recorder):
    recorder.answer(
        json={
            "err_code": 0,
            "status": "COMPLETED",
            "images_url": "https://cdn/tile",
            "images_url_1m": "https://cdn/tile-1x",
            "grid_url": "https://cdn/grid",
            "vector_url": "",
        }
    )
    state = adapter.poll("t1")

    assert state.status == Status.SUCCEEDED
    assert [(file.url, file.kind) for file in state.files] == [
        ("https://cdn/tile", FileKind.IMAGE),
        ("https://cdn/grid", FileKind.GRID),
        ("https://cdn/tile-1x", FileKind.ALTERNATIVE),
    ]
    assert state.balance is None
    assert "generated_prompt" not in state.details


@pytest.mark.parametrize("status", ["Failed", "FAILED", None])
def test_it_reports_failed_or_missing_status_as_a_failed_task_with_a_message(adapter, recorder, status):
    recorder.answer(json={"err_code": 0, "status": status})
    state = adapter.poll("t1")

    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT
    assert state.error.message
    assert state.files == []


def test_it_keeps_the_vendors_reason_for_a_failed_task(adapter, recorder):
    recorder.answer(json={"err_code": 0, "status": "Failed", "err_msg": "任务处理失败:模型推理出错"})
    assert adapter.poll("t1").error.message == "任务处理失败:模型推理出错"


@pytest.mark.parametrize("status", ["Pending", "processing", "QUEUED"])
def test_it_takes_other_statuses_as_running(adapter, recorder, status):
    recorder.answer(json={"err_code": 0, "status": status})
    state = adapter.poll("t1")
    assert state.status == Status.RUNNING
    assert state.files == []


def test_it_logs_an_unknown_status_and_keeps_waiting(adapter, recorder, caplog):
    recorder.answer(json={"err_code": 0, "status": "Upscaling"})
    with caplog.at_level(logging.WARNING, logger="studio.vendors.hdredraw"):
        state = adapter.poll("t1")
    assert state.status == Status.RUNNING
    assert "Upscaling" in caplog.text


def test_it_fails_a_completed_task_without_any_image(adapter, recorder):
    recorder.answer(json={"err_code": 0, "status": "Completed", "images_url": "", "vector_url": ""})
    state = adapter.poll("t1")
    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT


# Errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "error_class"),
    [
        ("账户不存在", ErrorClass.BAD_CREDENTIALS),
        ("账户剩余次数不足", ErrorClass.INSUFFICIENT_BALANCE),
        ("文件大小不能超过16MB", ErrorClass.INVALID_PARAMETERS),
        ("扩展参数错误:expand_top必须在0.0-0.3之间", ErrorClass.INVALID_PARAMETERS),
        ("任务提交失败:任务队列连接超时", ErrorClass.TRANSIENT),
        ("任务提交失败:参数错误:upscale必须在1-8之间", ErrorClass.INVALID_PARAMETERS),
        ("某个未记录的错误", ErrorClass.PERMANENT),
        ("系统繁忙,请稍后再试", ErrorClass.TRANSIENT),
        ("服务器内部错误", ErrorClass.TRANSIENT),
        ("系统异常", ErrorClass.TRANSIENT),
        ("Internal Server Error", ErrorClass.TRANSIENT),
        ("任务提交失败:任务队列已满", ErrorClass.RATE_LIMITED),
        ("请求过于频繁", ErrorClass.RATE_LIMITED),
    ],
)
def test_it_classifies_each_documented_submit_error(adapter, recorder, message, error_class):
    recorder.answer(json={"err_code": 1, "err_msg": message})
    with pytest.raises(VendorError) as raised:
        adapter.submit(request_for(Operation.EXPAND, {"expand_top": 0.1}))
    assert raised.value.error_class == error_class
    assert raised.value.message == message
    assert raised.value.code == 1


@pytest.mark.parametrize(
    ("message", "error_class"),
    [
        ("账户不存在", ErrorClass.BAD_CREDENTIALS),
        ("任务未找到或状态未知", ErrorClass.TRANSIENT),
        ("系统繁忙", ErrorClass.TRANSIENT),
        ("服务器内部错误", ErrorClass.TRANSIENT),
    ],
)
def test_it_classifies_each_documented_status_error(adapter, recorder, message, error_class):
    recorder.answer(json={"err_code": 1, "err_msg": message})
    with pytest.raises(VendorError) as raised:
        adapter.poll("task123")
    assert raised.value.error_class == error_class
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (401, ErrorClass.BAD_CREDENTIALS),
        (403, ErrorClass.BAD_CREDENTIALS),
        (402, ErrorClass.INSUFFICIENT_BALANCE),
        (400, ErrorClass.INVALID_PARAMETERS),
        (413, ErrorClass.INVALID_PARAMETERS),
        (429, ErrorClass.RATE_LIMITED),
        (500, ErrorClass.TRANSIENT),
        (502, ErrorClass.TRANSIENT),
        (503, ErrorClass.TRANSIENT),
        (404, ErrorClass.PERMANENT),
    ],
)
def test_it_classifies_http_errors_by_status(adapter, recorder, status, error_class):
    recorder.answer(status=status, content=b"<html>error</html>")
    with pytest.raises(VendorError) as raised:
        adapter.poll("t1")
    assert raised.value.error_class == error_class
    assert raised.value.http_status == status


def test_it_prefers_a_known_err_msg_over_the_http_status(adapter, recorder):
    recorder.answer(status=400, json={"err_code": 1, "err_msg": "账户剩余次数不足"})
    with pytest.raises(VendorError) as raised:
        adapter.submit(request_for(Operation.REMOVE_WATERMARK))
    assert raised.value.error_class == ErrorClass.INSUFFICIENT_BALANCE
    assert raised.value.http_status == 400


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"status": "Completed"}', b"[]", b'{"err_code": 7}'])
def test_it_takes_a_malformed_200_answer_as_transient(adapter, recorder, body):
    recorder.answer(content=body)
    with pytest.raises(VendorError) as raised:
        adapter.poll("t1")
    assert raised.value.error_class == ErrorClass.TRANSIENT


SUBMIT_OUTCOMES = [
    *transport_outcomes(b'{"err_code": 0, "task_id": "abc'),
    pytest.param((429, b"Too Many Requests"), ErrorClass.RATE_LIMITED, Outcome.REFUSED, id="429"),
    pytest.param((200, {"err_code": 1, "err_msg": "任务提交失败:队列已满"}), ErrorClass.RATE_LIMITED, Outcome.REFUSED,
                 id="200-queue-full"),
    pytest.param((200, {"err_code": 1, "err_msg": "任务提交失败:连接超时"}), ErrorClass.TRANSIENT, Outcome.UNKNOWN,
                 id="200-submit-failed"),
    pytest.param((200, {"err_code": 1, "err_msg": "系统繁忙"}), ErrorClass.TRANSIENT, Outcome.UNKNOWN, id="200-busy"),
    pytest.param((200, {"err_code": 1, "err_msg": "扩展参数错误:expand_top必须在0.0-0.3之间"}),
                 ErrorClass.INVALID_PARAMETERS, Outcome.REFUSED, id="invalid"),
    pytest.param((200, {"err_code": 1, "err_msg": "账户不存在"}), ErrorClass.BAD_CREDENTIALS, Outcome.REFUSED,
                 id="bad-key"),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "error_class", "outcome"), SUBMIT_OUTCOMES)
def test_it_says_what_the_vendor_can_have_done_with_a_failed_submit(adapter, recorder, answer, error_class, outcome):
    recorder.give(answer)
    with pytest.raises(VendorError) as raised:
        adapter.submit(request_for(Operation.EXPAND, {"expand_top": 0.1}))
    assert (raised.value.error_class, raised.value.outcome) == (error_class, outcome)


def test_it_never_puts_the_user_key_in_an_error_message(adapter, recorder):
    recorder.answer(status=500, content=b"Traceback: user_key=test-key invalid")
    recorder.answer(json={"err_code": 1, "err_msg": "账户不存在: test-key"})
    for _ in range(2):
        with pytest.raises(VendorError) as raised:
            adapter.poll("t1")
        assert "test-key" not in raised.value.message


# Connection check ------------------------------------------------------------------------------


def test_it_checks_the_connection_with_a_status_check_the_vendor_cannot_find(adapter, recorder):
    recorder.answer(json={"err_code": 1, "err_msg": "任务未找到或状态未知"})
    assert adapter.check_connection()

    fields, _ = sent_form(recorder.last)
    assert fields["user_key"] == "test-key"
    assert recorder.last.url.path == "/api/check_task_status"


def test_it_fails_the_connection_check_when_the_vendor_is_broken(adapter, recorder):
    recorder.answer(json={"err_code": 1, "err_msg": "服务器内部错误"})
    with pytest.raises(VendorError) as raised:
        adapter.check_connection()
    assert (raised.value.error_class, raised.value.http_status) == (ErrorClass.TRANSIENT, 200)


def test_it_fails_the_connection_check_on_an_unknown_user_key(adapter, recorder):
    recorder.answer(json={"err_code": 1, "err_msg": "账户不存在"})
    with pytest.raises(VendorError) as raised:
        adapter.check_connection()
    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS


# Validation before any request -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params", "field"),
    [
        (Operation.UPSCALE, {"upscale": 0.5}, "upscale"),
        (Operation.UPSCALE, {"upscale": 8.5}, "upscale"),
        (Operation.UPSCALE, {"s_noise": 0.99}, "s_noise"),
        (Operation.UPSCALE, {"s_noise": 1.2}, "s_noise"),
        (Operation.UPSCALE, {"steps": 19}, "steps"),
        (Operation.UPSCALE, {"steps": 41}, "steps"),
        (Operation.UPSCALE, {"strong_inpaint_intensity": 1.5}, "strong_inpaint_intensity"),
        (Operation.UPSCALE, {"color_count": 17}, "color_count"),
        (Operation.UPSCALE, {"high_fidelity": "perhaps"}, "high_fidelity"),
        (Operation.VECTORIZE, {"color_count": 1}, "color_count"),
        (Operation.VECTORIZE, {"color_count": 2.5}, "color_count"),
        (Operation.SEAMLESS_TILE, {"fit": 0.05}, "fit"),
        (Operation.SEAMLESS_TILE, {"fit": 0.95}, "fit"),
        (Operation.SEAMLESS_TILE, {"direction": 3}, "direction"),
        (Operation.SEAMLESS_TILE, {"expand_left": 0.31}, "expand_left"),
        (Operation.EXPAND, {"expand_top": 0.4}, "expand_top"),
        (Operation.EXPAND, {"expand_bottom": -0.1}, "expand_bottom"),
        (Operation.AI_EDIT, {}, "prompt"),
        (Operation.AI_EDIT, {"prompt": "x", "model_version": "v3"}, "model_version"),
        (Operation.EXTRACT_PATTERN, {"aspect_ratio": "5:1"}, "aspect_ratio"),
        (Operation.REMOVE_WATERMARK, {"prompt": "not a field here"}, "prompt"),
    ],
)
def test_it_refuses_each_documented_rule_before_sending(adapter, recorder, operation, params, field):
    with pytest.raises(InvalidParameters) as raised:
        adapter.validate(request_for(operation, params))
    assert field in raised.value.field_errors
    assert raised.value.error_class == ErrorClass.INVALID_PARAMETERS
    assert recorder.requests == []


def test_it_says_the_documented_range_in_the_message(adapter):
    with pytest.raises(InvalidParameters) as raised:
        adapter.validate(request_for(Operation.EXPAND, {"expand_top": 0.4}))
    assert raised.value.field_errors["expand_top"] == "Must be between 0 and 0.3."


def test_it_refuses_an_expand_that_expands_nothing(adapter, recorder):
    with pytest.raises(InvalidParameters) as raised:
        adapter.validate(request_for(Operation.EXPAND, {"prompt": "more sky"}))
    assert "at least one side" in raised.value.field_errors["expand_top"]
    assert recorder.requests == []


def test_it_allows_a_seamless_tile_without_expanding(adapter):
    cleaned = adapter.validate(request_for(Operation.SEAMLESS_TILE, {}))
    assert cleaned.params["fit"] == 0.5
    assert cleaned.params["direction"] == 0


@pytest.mark.parametrize("count", [0, 2])
def test_it_takes_exactly_one_product_image(adapter, recorder, count):
    with pytest.raises(InvalidParameters) as raised:
        adapter.validate(request_for(Operation.FACE_ENHANCE, inputs=[product()] * count))
    assert "product" in raised.value.field_errors
    assert recorder.requests == []


def test_it_refuses_a_file_over_16_mb_in_validation_and_at_submit(adapter, recorder):
    too_big = product(b"\0" * (17 * 1024 * 1024), name="poster.png")
    said = "“poster.png” is 17.0\xa0MB; hdredraw accepts 16 MB at most. Pick a smaller image."
    with pytest.raises(InvalidParameters) as raised:
        adapter.validate(request_for(Operation.REMOVE_WATERMARK, inputs=[too_big]))
    assert raised.value.field_errors["product"] == said
    with pytest.raises(InvalidParameters) as raised:
        adapter.submit(request_for(Operation.REMOVE_WATERMARK, inputs=[too_big]))
    assert said in raised.value.message
    assert recorder.requests == []


def test_it_accepts_a_file_of_exactly_16_mb(adapter, recorder):
    recorder.answer(json=SUBMIT_ANSWER)
    adapter.submit(
        adapter.validate(request_for(Operation.REMOVE_WATERMARK, inputs=[product(b"\0" * 16 * 1024 * 1024)]))
    )
    _, files = sent_form(recorder.last)
    assert len(files["input_image"][1]) == 16 * 1024 * 1024


# Declarations ----------------------------------------------------------------------------------


def test_it_lists_every_endpoint_in_the_catalogue_with_a_price():
    assert {entry.operation for entry in CATALOGUE} == set(SUBMIT_PATHS)
    prices = {entry.operation: entry.points for entry in CATALOGUE}
    assert all(points > 0 for points in prices.values())
    assert prices[Operation.UPSCALE] > prices[Operation.REMOVE_WATERMARK]


def test_it_polls_no_faster_than_the_vendors_status_cache():
    assert HdRedrawAdapter.default_poll_interval >= 3
    assert HdRedrawAdapter.credential_fields == ("user_key",)


def test_it_declares_a_labelled_parameter_for_every_documented_field(adapter):
    names = {param.name for param in adapter.parameters(Operation.UPSCALE, "")}
    assert names == {
        "sdxl_model_dropdown",
        "style_dropdown",
        "upscale",
        "s_noise",
        "steps",
        "high_fidelity",
        "strong_inpaint",
        "strong_inpaint_intensity",
        "prompt",
        "neg_prompt",
        "vector_switch",
        "color_count",
        "auto_generate_prompt",
    }
    for operation in SUBMIT_PATHS:
        assert all(param.label for param in adapter.parameters(operation, ""))
        assert [(spec.role, spec.min, spec.max) for spec in adapter.input_specs(operation, "")] == [("product", 1, 1)]
