"""Wire tests for the suchuang adapter against the examples of seeds/003 (速创生图接口调用示例)."""

import json

import pytest

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
from studio.vendors.catalogue import catalogue
from studio.vendors.operations import Operation
from studio.vendors.suchuang import CATALOGUE, SuchuangAdapter
from tests.vendor_fixtures import transport_outcomes

BASE = "http://localhost:8081"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.test-token.signature"

# §五.1 of the document, verbatim.
DETAIL_EXAMPLE = {
    "code": 200,
    "message": "success",
    "data": {
        "taskNo": "TASK-20251026153045123-4567",
        "modelName": "sc_soraimg_text_1x1",
        "status": "completed",
        "taskType": "text_to_image",
        "progress": 100,
        "promptSnippet": "一个可爱的橘猫在窗台上晒太阳...",
        "imageUrl": None,
        "resultUrl": "https://oss-1818ai-user-img.oss-cn-hangzhou.aliyuncs.com/results/image_xxx.png",
        "createTime": "2025-10-26T15:30:45",
        "completeTime": "2025-10-26T15:31:12",
        "errorMessage": None,
    },
}

# §六 of the document, verbatim.
BALANCE_EXAMPLE = {
    "code": 200,
    "message": "success",
    "data": {"userId": 17563793187762127, "balance": 850, "expireTime": None},
}


def submitted(task_no="TASK-20251026153045123-4567", model="sc_soraimg_text_1x1", status="created"):
    """The submit answer: the document's JS reads data.taskNo and data.status; the rest is the detail's task object."""
    data = {**DETAIL_EXAMPLE["data"], "taskNo": task_no, "modelName": model, "status": status, "progress": 0}
    data.update(resultUrl=None, completeTime=None)
    return {"code": 200, "message": "success", "data": data}


@pytest.fixture
def adapter(recorder):
    return SuchuangAdapter(base_url=BASE + "/", credentials={"token": TOKEN}, http=recorder.http(secrets=[TOKEN]))


def text_request(
    model="sc_soraimg_text_1x1", prompt="一个可爱的橘猫在窗台上晒太阳,温馨的室内场景,柔和的光线", inputs=()
):
    return SubmitRequest(Operation.TEXT_TO_IMAGE, model, {"prompt": prompt}, tuple(inputs))


def image_request(urls, model="sc_soraimg_img2img_1x1", prompt="将人物转换为油画风格,色彩浓郁,笔触明显"):
    inputs = tuple(InputImage("reference", url) for url in urls)
    return SubmitRequest(Operation.IMAGE_TO_IMAGE, model, {"prompt": prompt}, inputs)


def assert_authorized_json_post(request):
    assert request.method == "POST"
    assert request.url.path == "/user/ai/tasks/submit"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"


# Catalogue ---------------------------------------------------------------------------------------


def test_it_lists_the_eight_documented_models_at_their_documented_points():
    offered = {(entry.operation, entry.model): entry.points for entry in catalogue("suchuang")}
    assert offered == {
        (Operation.TEXT_TO_IMAGE, "sc_soraimg_text_auto"): 30,
        (Operation.TEXT_TO_IMAGE, "sc_soraimg_text_1x1"): 30,
        (Operation.TEXT_TO_IMAGE, "sc_soraimg_text_2x3"): 30,
        (Operation.TEXT_TO_IMAGE, "sc_soraimg_text_3x2"): 30,
        (Operation.IMAGE_TO_IMAGE, "sc_soraimg_img2img_auto"): 35,
        (Operation.IMAGE_TO_IMAGE, "sc_soraimg_img2img_1x1"): 35,
        (Operation.IMAGE_TO_IMAGE, "sc_soraimg_img2img_2x3"): 35,
        (Operation.IMAGE_TO_IMAGE, "sc_soraimg_img2img_3x2"): 35,
    }


def test_it_labels_each_model_with_the_ratio_its_name_implies():
    labels = {entry.model: str(entry.label) for entry in CATALOGUE}
    assert "1:1" in labels["sc_soraimg_text_1x1"]
    assert "2:3" in labels["sc_soraimg_img2img_2x3"]
    assert "3:2" in labels["sc_soraimg_text_3x2"]
    assert "automatic" in labels["sc_soraimg_img2img_auto"]


def test_it_polls_every_five_seconds_as_the_document_suggests():
    assert SuchuangAdapter.default_poll_interval == 5
    assert SuchuangAdapter.credential_fields == ("token",)


# Submit ------------------------------------------------------------------------------------------


def test_it_submits_text_to_image_exactly_as_the_documents_curl(adapter, recorder):
    recorder.answer(json=submitted())

    state = adapter.submit(text_request())

    assert_authorized_json_post(recorder.last)
    assert json.loads(recorder.last.content) == {
        "modelName": "sc_soraimg_text_1x1",
        "prompt": "一个可爱的橘猫在窗台上晒太阳,温馨的室内场景,柔和的光线",
    }
    assert state.vendor_task_id == "TASK-20251026153045123-4567"
    assert state.status == Status.QUEUED
    assert state.cost == 30


def test_it_sends_one_reference_as_a_plain_url_string(adapter, recorder):
    url = "https://oss-1818ai-user-img.oss-cn-hangzhou.aliyuncs.com/portrait.jpg"
    recorder.answer(json=submitted(model="sc_soraimg_img2img_1x1", status="queued"))

    state = adapter.submit(image_request([url]))

    assert_authorized_json_post(recorder.last)
    assert json.loads(recorder.last.content) == {
        "modelName": "sc_soraimg_img2img_1x1",
        "prompt": "将人物转换为油画风格,色彩浓郁,笔触明显",
        "imageUrl": url,
    }
    assert state.cost == 35


def test_it_sends_several_references_as_a_json_array_encoded_as_a_string(adapter, recorder):
    recorder.answer(json=submitted(model="sc_soraimg_img2img_3x2"))

    adapter.submit(
        image_request(
            ["https://example.com/ref1.jpg", "https://example.com/ref2.jpg"],
            model="sc_soraimg_img2img_3x2",
            prompt="结合这些参考图的风格,创作一幅新的艺术作品",
        )
    )

    sent = json.loads(recorder.last.content)
    # Byte for byte the document's curl: "imageUrl": "[\"https://example.com/ref1.jpg\",\"https://example.com/ref2.jpg\"]"
    assert sent["imageUrl"] == '["https://example.com/ref1.jpg","https://example.com/ref2.jpg"]'
    assert isinstance(sent["imageUrl"], str)
    assert sent["modelName"] == "sc_soraimg_img2img_3x2"


def test_it_refuses_a_submit_answer_without_a_task_number(adapter, recorder):
    recorder.answer(json={"code": 200, "message": "success", "data": {"status": "created"}})

    with pytest.raises(VendorError) as error:
        adapter.submit(text_request())

    assert error.value.error_class == ErrorClass.TRANSIENT


# Poll --------------------------------------------------------------------------------------------


def test_it_reads_the_documents_completed_task(adapter, recorder):
    recorder.answer(json=DETAIL_EXAMPLE)

    state = adapter.poll("TASK-20251026153045123-4567")

    assert recorder.last.method == "GET"
    assert recorder.last.url.path == "/user/ai/tasks/TASK-20251026153045123-4567"
    assert recorder.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert recorder.last.content == b""
    assert state.status == Status.SUCCEEDED
    assert [(file.url, file.kind) for file in state.files] == [(DETAIL_EXAMPLE["data"]["resultUrl"], FileKind.IMAGE)]
    assert state.progress == 100
    assert state.cost == 30
    assert state.details["completeTime"] == "2025-10-26T15:31:12"
    assert state.raw == DETAIL_EXAMPLE["data"]


@pytest.mark.parametrize(
    ("vendor_status", "expected"),
    [
        ("created", Status.QUEUED),
        ("queued", Status.QUEUED),
        ("processing", Status.RUNNING),
        ("PROCESSING", Status.RUNNING),
        ("Completed", Status.SUCCEEDED),
        ("transferring", Status.RUNNING),
    ],
)
def test_it_maps_every_documented_status(adapter, recorder, vendor_status, expected):
    data = {**DETAIL_EXAMPLE["data"], "status": vendor_status, "progress": 40}
    recorder.answer(json={"code": 200, "message": "success", "data": data})

    state = adapter.poll("TASK-20251026153045123-4567")

    assert state.status == expected
    assert state.progress == 40
    assert bool(state.files) == (expected == Status.SUCCEEDED)


def test_it_logs_an_unknown_status(adapter, recorder, caplog):
    recorder.answer(json={"code": 200, "message": "success", "data": {**DETAIL_EXAMPLE["data"], "status": "审核中"}})

    assert adapter.poll("TASK-1").status == Status.RUNNING
    assert "审核中" in caplog.text


def test_it_reads_a_failed_task_as_failed_with_the_vendors_message_and_no_cost(adapter, recorder):
    data = {**DETAIL_EXAMPLE["data"], "status": "failed", "resultUrl": None, "errorMessage": "内容违规,积分已退还"}
    recorder.answer(json={"code": 200, "message": "success", "data": data})

    state = adapter.poll("TASK-20251026153045123-4567")

    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT
    assert state.error.message == "内容违规,积分已退还"
    assert state.cost == 0
    assert state.files == []


def test_it_waits_when_completed_has_no_result_url_yet(adapter, recorder):
    recorder.answer(json={"code": 200, "message": "success", "data": {**DETAIL_EXAMPLE["data"], "resultUrl": None}})

    state = adapter.poll("TASK-20251026153045123-4567")

    assert state.status == Status.RUNNING
    assert state.files == []


# Task list and balance ---------------------------------------------------------------------------


def test_it_asks_for_the_task_list_as_the_documents_curl(adapter, recorder):
    page = {"records": [DETAIL_EXAMPLE["data"]], "total": 11, "size": 10, "current": 2, "pages": 2}
    recorder.answer(json={"code": 200, "message": "success", "data": page})

    result = adapter.task_list(page=2, size=10, task_type=Operation.TEXT_TO_IMAGE)

    assert recorder.last.method == "GET"
    assert recorder.last.url.path == "/user/ai/tasks/list"
    assert dict(recorder.last.url.params) == {"page": "2", "size": "10", "taskType": "text_to_image"}
    assert recorder.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (result.total, result.page, result.size) == (11, 2, 10)
    assert [task.vendor_task_id for task in result.tasks] == ["TASK-20251026153045123-4567"]
    assert result.tasks[0].status == Status.SUCCEEDED


def test_it_filters_the_task_list_by_status_only_when_asked(adapter, recorder):
    recorder.answer(json={"code": 200, "message": "success", "data": {"records": [], "total": 0}})

    result = adapter.task_list(status="completed")

    assert str(recorder.last.url.query, "ascii") == "page=1&size=10&status=completed"
    assert result.tasks == [] and result.total == 0


def test_it_reads_the_documents_balance(adapter, recorder):
    recorder.answer(json=BALANCE_EXAMPLE)

    balance = adapter.balance()

    assert recorder.last.method == "GET"
    assert recorder.last.url.path == "/user/points/consumption/balance"
    assert recorder.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert balance.points == 850


def test_it_checks_the_connection_with_the_balance(adapter, recorder):
    recorder.answer(json=BALANCE_EXAMPLE)

    assert "850" in adapter.check_connection()
    assert recorder.last.url.path == "/user/points/consumption/balance"


# Errors: the document's table (八), as HTTP status and as HTTP 200 with the code in the body -------


DOCUMENTED_ERRORS = [
    (401, "未登录或Token过期", ErrorClass.BAD_CREDENTIALS),
    (402, "积分不足", ErrorClass.INSUFFICIENT_BALANCE),
    (400, "参数错误", ErrorClass.INVALID_PARAMETERS),
    (500, "服务器错误", ErrorClass.TRANSIENT),
    (429, "请求过于频繁,请稍后再试", ErrorClass.RATE_LIMITED),
    (403, "无权限", ErrorClass.BAD_CREDENTIALS),
    (404, "任务不存在", ErrorClass.PERMANENT),
    (503, "服务暂不可用", ErrorClass.TRANSIENT),
]


@pytest.mark.parametrize(("code", "message", "expected"), DOCUMENTED_ERRORS)
@pytest.mark.parametrize("transport", ["http_status", "body_code"])
def test_it_classifies_every_documented_error(adapter, recorder, code, message, expected, transport):
    http_status = code if transport == "http_status" else 200
    recorder.answer(json={"code": code, "message": message, "data": None}, status=http_status)

    with pytest.raises(VendorError) as error:
        adapter.submit(text_request())

    assert error.value.error_class == expected
    assert error.value.code == code
    assert error.value.http_status == http_status
    assert error.value.message == message


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (500, "积分不足,当前积分:10,需要:30", ErrorClass.INSUFFICIENT_BALANCE),
        (500, "用户未登录", ErrorClass.BAD_CREDENTIALS),
        (400, "参数错误:参考图无法访问或不是图片: https://example.com/ref1.jpg", ErrorClass.TRANSIENT),
        (400, "参考图下载失败", ErrorClass.TRANSIENT),
        (418, "未知错误", ErrorClass.PERMANENT),
        (1001, "系统繁忙,请稍后再试", ErrorClass.TRANSIENT),
        (9999, "系统异常", ErrorClass.TRANSIENT),
        ("INTERNAL_ERROR", "服务器内部错误", ErrorClass.TRANSIENT),
        (1002, "任务队列已满", ErrorClass.RATE_LIMITED),
        (401, "登录超时,请重新登录", ErrorClass.BAD_CREDENTIALS),
    ],
)
def test_it_recognises_the_words_the_documents_error_handling_checks(adapter, recorder, code, message, expected):
    recorder.answer(json={"code": code, "message": message, "data": None})

    with pytest.raises(VendorError) as error:
        adapter.poll("TASK-1")

    assert error.value.error_class == expected


def envelope(code, message):
    return {"code": code, "message": message, "data": None}


SUBMIT_OUTCOMES = [
    *transport_outcomes(json.dumps({"code": 200, "message": "success", "data": submitted()}).encode()[:70]),
    pytest.param((429, envelope(429, "请求过于频繁")), ErrorClass.RATE_LIMITED, Outcome.REFUSED, id="429"),
    pytest.param((200, envelope(1002, "任务队列已满")), ErrorClass.RATE_LIMITED, Outcome.REFUSED, id="200-queue-full"),
    pytest.param((200, envelope(500, "服务器错误")), ErrorClass.TRANSIENT, Outcome.UNKNOWN, id="200-code-500"),
    pytest.param((200, envelope(1001, "系统繁忙")), ErrorClass.TRANSIENT, Outcome.UNKNOWN, id="200-busy"),
    pytest.param((200, envelope(400, "参考图无法访问")), ErrorClass.TRANSIENT, Outcome.REFUSED, id="200-no-access"),
    pytest.param((400, envelope(400, "参考图下载失败")), ErrorClass.TRANSIENT, Outcome.REFUSED, id="400-no-download"),
    pytest.param((200, envelope(400, "参数错误")), ErrorClass.INVALID_PARAMETERS, Outcome.REFUSED, id="invalid"),
    pytest.param((200, envelope(401, "未登录或Token过期")), ErrorClass.BAD_CREDENTIALS, Outcome.REFUSED, id="bad-key"),
]


@pytest.mark.parametrize(("answer", "error_class", "outcome"), SUBMIT_OUTCOMES)
def test_it_says_what_the_platform_can_have_done_with_a_failed_submit(adapter, recorder, answer, error_class, outcome):
    recorder.give(answer)

    with pytest.raises(VendorError) as error:
        adapter.submit(image_request(["https://example.com/ref1.jpg"]))

    assert (error.value.error_class, error.value.outcome) == (error_class, outcome)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda adapter: adapter.poll("TASK-1"), id="detail"),
        pytest.param(lambda adapter: adapter.task_list(), id="list"),
        pytest.param(lambda adapter: adapter.balance(), id="balance"),
    ],
)
@pytest.mark.parametrize(
    ("body", "error_class"),
    [
        (envelope(500, "服务器内部错误"), ErrorClass.TRANSIENT),
        (envelope(1001, "系统繁忙"), ErrorClass.TRANSIENT),
        (envelope(429, "请求过于频繁"), ErrorClass.RATE_LIMITED),
        (envelope(401, "未登录或Token过期"), ErrorClass.BAD_CREDENTIALS),
        ({"code": 200, "message": "success", "data": None}, ErrorClass.TRANSIENT),
    ],
)
def test_every_endpoint_reads_an_error_sent_with_http_200(adapter, recorder, call, body, error_class):
    recorder.answer(json=body)

    with pytest.raises(VendorError) as error:
        call(adapter)

    assert (error.value.error_class, error.value.http_status) == (error_class, 200)


@pytest.mark.parametrize("code", [401, 403])
def test_the_connection_check_says_wrong_key_for_a_refused_token_at_http_200(adapter, recorder, code):
    recorder.answer(json=envelope(code, "未登录或Token过期"))

    with pytest.raises(VendorError) as error:
        adapter.check_connection()

    assert error.value.error_class == ErrorClass.BAD_CREDENTIALS


def test_the_connection_check_works_with_a_good_token(adapter, recorder):
    recorder.answer(json=BALANCE_EXAMPLE)

    assert adapter.check_connection()
    assert recorder.last.url.path == "/user/points/consumption/balance"


def test_it_treats_a_non_json_server_error_as_transient(adapter, recorder):
    recorder.answer(content=b"<html>502 Bad Gateway</html>", status=502)

    with pytest.raises(VendorError) as error:
        adapter.balance()

    assert error.value.error_class == ErrorClass.TRANSIENT
    assert error.value.http_status == 502


def test_it_treats_malformed_json_as_transient(adapter, recorder):
    recorder.answer(content=b'{"code": 200, "data": {', status=200)

    with pytest.raises(VendorError) as error:
        adapter.poll("TASK-1")

    assert error.value.error_class == ErrorClass.TRANSIENT


def test_it_treats_an_error_status_with_a_success_code_by_its_status(adapter, recorder):
    recorder.answer(json={"code": 200, "message": "success", "data": None}, status=503)

    with pytest.raises(VendorError) as error:
        adapter.poll("TASK-1")

    assert error.value.error_class == ErrorClass.TRANSIENT
    assert error.value.code == 503


def test_it_never_repeats_the_token_in_an_error(adapter, recorder):
    recorder.answer(json={"code": 401, "message": f"Token过期: {TOKEN}", "data": None}, status=401)

    with pytest.raises(VendorError) as error:
        adapter.balance()

    assert TOKEN not in str(error.value)
    assert error.value.error_class == ErrorClass.BAD_CREDENTIALS


# Validation before any request -------------------------------------------------------------------


def refused(adapter, recorder, request) -> dict[str, str]:
    with pytest.raises(InvalidParameters) as error:
        adapter.submit(request)
    assert recorder.requests == []
    return {name: str(message) for name, message in error.value.field_errors.items()}


def test_it_refuses_a_missing_prompt(adapter, recorder):
    assert refused(adapter, recorder, text_request(prompt=""))["prompt"] == "This is required."


def test_it_refuses_a_blank_prompt(adapter, recorder):
    assert "blank" in refused(adapter, recorder, text_request(prompt="   "))["prompt"]


def test_it_refuses_image_to_image_without_a_reference(adapter, recorder):
    errors = refused(adapter, recorder, image_request([]))
    assert errors["reference"] == "Reference images: between 1 and 6 needed, 0 given."


def test_it_refuses_more_than_six_references(adapter, recorder):
    urls = [f"https://example.com/ref{n}.jpg" for n in range(7)]
    assert "between 1 and 6" in refused(adapter, recorder, image_request(urls))["reference"]


def test_it_refuses_a_reference_for_text_to_image(adapter, recorder):
    request = text_request(inputs=[InputImage("reference", "https://example.com/ref1.jpg")])
    assert refused(adapter, recorder, request)["reference"] == "Reference images: exactly 0 needed, 1 given."


def test_it_refuses_inputs_in_roles_it_does_not_take(adapter, recorder):
    request = image_request(["https://example.com/ref1.jpg"])
    request = SubmitRequest(
        request.operation,
        request.model,
        request.params,
        (*request.inputs, InputImage("mask", "https://example.com/mask.png")),
    )
    assert "reference images only" in refused(adapter, recorder, request)["mask"]


def test_it_refuses_a_reference_that_is_not_an_http_url(adapter, recorder):
    errors = refused(adapter, recorder, image_request(["ftp://example.com/ref1.jpg"]))
    assert "http or https" in errors["reference"]


def test_it_refuses_a_model_of_another_operation(adapter, recorder):
    errors = refused(adapter, recorder, text_request(model="sc_soraimg_img2img_1x1"))
    assert "sc_soraimg_text_1x1" in errors["model"]


def test_it_refuses_an_unknown_model(adapter, recorder):
    assert "model" in refused(adapter, recorder, text_request(model="sc_soraimg_text_16x9"))


def test_it_refuses_a_parameter_the_vendor_does_not_have(adapter, recorder):
    request = SubmitRequest(Operation.TEXT_TO_IMAGE, "sc_soraimg_text_1x1", {"prompt": "猫", "aspectRatio": "1:1"})
    assert refused(adapter, recorder, request)["aspectRatio"] == "Not a parameter of this model."


def test_it_gives_one_output_per_task():
    adapter = SuchuangAdapter(base_url=BASE, credentials={"token": TOKEN})
    request = image_request(["https://example.com/ref1.jpg", "https://example.com/ref2.jpg"])
    assert adapter.output_count(request) == 1
    assert adapter.split(request) == [request]
