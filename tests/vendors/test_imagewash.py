"""imagewash on the wire: the exact requests sent, the document's answers read, every error classified."""

import json
import logging

import pytest

from studio.vendors.base import (
    CONNECTION_CHECK_TASK_ID,
    ErrorClass,
    InputImage,
    InvalidParameters,
    Outcome,
    Status,
    SubmitRequest,
    VendorError,
)
from studio.vendors.catalogue import points_per_output
from studio.vendors.imagewash import CATALOGUE, ImageWashAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import transport_outcomes

BASE = "https://yunfanzhilian.com"
TOKEN = "your_token"
PROMPT = "以产品图为主体,可参考参考图的风格/服装/场景进行洗图,保持产品信息与电商主图质感"

# The document's request example, body as sent by its curl.
DOCUMENT_REQUEST = {
    "model": "nanoBanana2",
    "prompt": PROMPT,
    "productImages": ["https://your-cdn.com/product-1.jpg", "https://your-cdn.com/product-2.jpg"],
    "referenceImages": ["https://your-cdn.com/reference.jpg"],
    "resolution": "2k",
    "aspectRatio": "auto",
    "count": 2,
}

# The document's response example, verbatim.
DOCUMENT_RESPONSE = {
    "code": 200,
    "message": "批量洗图任务已提交",
    "data": {
        "taskId": "task_xxxxxxxx",
        "status": "pending",
        "totalTasks": 4,
        "submittedTasks": 4,
        "failedSubmissions": 0,
        "estimatedTime": "30-120秒",
        "cost": {"unitCoins": 4, "chargedCoins": 16, "refundedCoins": 0},
        "items": [
            {
                "childTaskId": "task_xxxxxxxx_1",
                "recordId": "67f0c1d6f4a0d2b4d1d0c003",
                "status": "pending",
                "productImage": "https://your-cdn.com/product-1.jpg",
                "referenceImage": "https://your-cdn.com/reference.jpg",
            }
        ],
    },
    "timestamp": "2026-03-31T09:33:00.000Z",
}


def result_answer(status="completed", urls=(), **extra):
    """The common result endpoint's shape, as VENDORS.md gives it."""
    return {
        "code": 200,
        "message": "success",
        "data": {
            "taskId": "task_xxxxxxxx",
            "status": status,
            "results": [{"fileUrl": url, "fileType": "image"} for url in urls],
            "resultImageUrls": list(urls),
            "recordId": "67f0c1d6f4a0d2b4d1d0c003",
            **extra,
        },
        "timestamp": "2026-03-31T09:35:00.000Z",
    }


def items(*products, statuses=None):
    return [
        {
            "childTaskId": f"task_xxxxxxxx_{number}",
            "recordId": f"r{number}",
            "status": (statuses or {}).get(number, "pending"),
            "productImage": product,
            "referenceImage": "",
        }
        for number, product in enumerate(products, start=1)
    ]


@pytest.fixture
def adapter(recorder):
    return ImageWashAdapter(base_url=BASE + "/", credentials={"api_token": TOKEN}, http=recorder.http(secrets=[TOKEN]))


def wash(products=2, references=1, model="nanoBanana2", **params):
    inputs = [InputImage("product", f"https://your-cdn.com/product-{n}.jpg") for n in range(1, products + 1)]
    inputs += [InputImage("reference", "https://your-cdn.com/reference.jpg") for _ in range(references)]
    params = {"prompt": PROMPT, **params}
    return SubmitRequest(Operation.WASH, model, params, tuple(inputs), idempotency_key="run-7-task-1")


def document_request():
    return wash(resolution="2k", aspectRatio="auto", count=2)


# Submit ----------------------------------------------------------------------------------------


def test_it_sends_the_documents_example_request(adapter, recorder):
    recorder.answer(json=DOCUMENT_RESPONSE)

    adapter.submit(document_request())

    sent = recorder.last
    assert sent.method == "POST"
    assert str(sent.url) == "https://yunfanzhilian.com/api/third-party/imageWash/generate"
    assert sent.headers["X-API-Token"] == TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert "Authorization" not in sent.headers
    assert json.loads(sent.content) == DOCUMENT_REQUEST
    assert list(json.loads(sent.content)) == list(DOCUMENT_REQUEST)


def test_it_reads_the_documents_example_answer(adapter, recorder):
    recorder.answer(json=DOCUMENT_RESPONSE)

    state = adapter.submit(document_request())

    assert state.status == Status.QUEUED
    assert state.vendor_task_id == "task_xxxxxxxx"
    assert state.cost == 16
    assert state.record_ids == ["67f0c1d6f4a0d2b4d1d0c003"]
    assert state.details["items"] == [
        {
            "childTaskId": "task_xxxxxxxx_1",
            "recordId": "67f0c1d6f4a0d2b4d1d0c003",
            "status": "pending",
            "productImage": "https://your-cdn.com/product-1.jpg",
            "referenceImage": "https://your-cdn.com/reference.jpg",
        }
    ]
    assert state.details["total_tasks"] == 4
    assert state.details["unit_coins"] == 4
    assert state.raw == DOCUMENT_RESPONSE


def test_it_sends_defaults_and_leaves_out_absent_references(adapter, recorder):
    recorder.answer(json=DOCUMENT_RESPONSE)

    adapter.submit(wash(products=1, references=0, model="nanoBananaPro"))

    assert json.loads(recorder.last.content) == {
        "model": "nanoBananaPro",
        "prompt": PROMPT,
        "productImages": ["https://your-cdn.com/product-1.jpg"],
        "resolution": "2k",
        "aspectRatio": "auto",
        "count": 1,
    }


def test_it_sends_count_as_a_number(adapter, recorder):
    recorder.answer(json=DOCUMENT_RESPONSE)

    adapter.submit(wash(count="3"))

    assert json.loads(recorder.last.content)["count"] == 3


def test_it_accepts_a_submit_that_is_already_processing(adapter, recorder):
    answer = json.loads(json.dumps(DOCUMENT_RESPONSE))
    answer["data"]["status"] = "processing"
    recorder.answer(json=answer)

    assert adapter.submit(document_request()).status == Status.RUNNING


def test_it_treats_a_submit_answer_without_task_id_as_transient(adapter, recorder):
    recorder.answer(json={"code": 200, "message": "ok", "data": {"status": "pending"}})

    with pytest.raises(VendorError) as raised:
        adapter.submit(document_request())

    assert raised.value.error_class == ErrorClass.TRANSIENT


# Poll ------------------------------------------------------------------------------------------


def test_it_polls_the_common_result_endpoint(adapter, recorder):
    recorder.answer(json=result_answer("processing"))

    state = adapter.poll("task_xxxxxxxx")

    sent = recorder.last
    assert sent.method == "GET"
    assert sent.url.path == "/api/third-party/common/result"
    assert dict(sent.url.params) == {"taskId": "task_xxxxxxxx"}
    assert sent.headers["X-API-Token"] == TOKEN
    assert sent.content == b""
    assert state.status == Status.RUNNING
    assert state.files == []


@pytest.mark.parametrize(
    ("vendor_status", "status"),
    [
        ("pending", Status.QUEUED),
        ("processing", Status.RUNNING),
        ("PROCESSING", Status.RUNNING),
        ("Completed", Status.SUCCEEDED),
        ("failed", Status.FAILED),
        ("partial_failed", Status.PARTIAL),
    ],
)
def test_it_maps_every_status_whatever_its_case(adapter, recorder, vendor_status, status):
    recorder.answer(json=result_answer(vendor_status, ["https://cdn.example/1.png"]))

    assert adapter.poll("task_xxxxxxxx").status == status


def test_it_takes_an_unknown_status_as_running_and_logs_it(adapter, recorder, caplog):
    recorder.answer(json=result_answer("uploading"))

    with caplog.at_level(logging.WARNING, logger="studio.vendors.imagewash"):
        state = adapter.poll("task_xxxxxxxx")

    assert state.status == Status.RUNNING
    assert "uploading" in caplog.text


def test_it_reads_a_completed_task(adapter, recorder):
    urls = ["https://cdn.example/a.png", "https://cdn.example/b.png"]
    recorder.answer(json=result_answer("completed", urls))

    state = adapter.poll("task_xxxxxxxx")

    assert state.status == Status.SUCCEEDED
    assert [file.url for file in state.files] == urls
    assert {file.kind for file in state.files} == {"image"}
    assert state.record_ids == ["67f0c1d6f4a0d2b4d1d0c003"]
    assert state.details["succeeded_children"] == 2


def test_it_maps_files_to_the_submitted_products_in_order(adapter, recorder):
    recorder.answer(json=result_answer("completed", ["https://cdn.example/1", "https://cdn.example/2"]))

    state = adapter.poll("task_xxxxxxxx", submitted={"items": items("https://p/1.jpg", "https://p/2.jpg")})

    assert [file.source for file in state.files] == ["https://p/1.jpg", "https://p/2.jpg"]
    assert state.details["failed_children"] == 0


def test_it_skips_children_that_failed_at_submission_when_mapping(adapter, recorder):
    recorder.answer(json=result_answer("completed", ["https://cdn.example/1"]))

    submitted = items("https://p/1.jpg", "https://p/2.jpg", statuses={1: "failed"})
    state = adapter.poll("task_xxxxxxxx", submitted={"items": submitted})

    assert [file.source for file in state.files] == ["https://p/2.jpg"]


def test_it_leaves_sources_empty_when_files_and_children_do_not_line_up(adapter, recorder):
    recorder.answer(json=result_answer("completed", ["https://cdn.example/1"]))

    state = adapter.poll("task_xxxxxxxx", submitted={"items": items("https://p/1.jpg", "https://p/2.jpg")})

    assert [file.source for file in state.files] == [""]


def test_it_keeps_the_succeeded_files_of_a_partial_failure(adapter, recorder):
    recorder.answer(json=result_answer("partial_failed", ["https://cdn.example/1", "https://cdn.example/3"]))

    submitted = items("https://p/1.jpg", "https://p/1.jpg", "https://p/2.jpg", "https://p/2.jpg")
    state = adapter.poll("task_xxxxxxxx", submitted={"items": submitted})

    assert state.status == Status.PARTIAL
    assert [file.url for file in state.files] == ["https://cdn.example/1", "https://cdn.example/3"]
    assert state.details == {"succeeded_children": 2, "failed_children": 2}
    assert state.error is None


def test_it_falls_back_to_result_image_urls(adapter, recorder):
    answer = result_answer("completed")
    answer["data"]["resultImageUrls"] = ["https://cdn.example/only.png"]
    recorder.answer(json=answer)

    assert [file.url for file in adapter.poll("task_xxxxxxxx").files] == ["https://cdn.example/only.png"]


def test_it_reports_a_failed_task_with_the_vendors_reason(adapter, recorder):
    recorder.answer(json=result_answer("failed", errorMessage="洗图失败:模型生成异常"))

    state = adapter.poll("task_xxxxxxxx")

    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT
    assert state.error.message == "洗图失败:模型生成异常"


def test_it_never_gives_the_envelopes_success_message_as_a_failed_tasks_reason(adapter, recorder):
    recorder.answer(json=result_answer("failed"))  # the envelope's message is "success"

    state = adapter.poll("task_xxxxxxxx")

    assert state.status == Status.FAILED
    assert state.error.message == "the vendor reported the task failed without a reason"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ({"error": "参考图风格冲突"}, "参考图风格冲突"),
        ({"error": {"message": "模型生成异常"}}, "模型生成异常"),
        ({"message": "子任务全部失败"}, "子任务全部失败"),
        ({"errorMessage": " ", "error": None}, "the vendor reported the task failed without a reason"),
    ],
)
def test_it_reads_a_failed_tasks_reason_from_data_only(adapter, recorder, reason, message):
    recorder.answer(json=result_answer("failed", **reason))

    assert adapter.poll("task_xxxxxxxx").error.message == message


def test_it_fails_a_completed_task_without_any_file(adapter, recorder):
    recorder.answer(json=result_answer("completed"))

    state = adapter.poll("task_xxxxxxxx")

    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT


# Errors ----------------------------------------------------------------------------------------


def envelope(code, message):
    return {"code": code, "message": message, "data": None, "timestamp": "2026-03-31T09:33:00.000Z"}


ERRORS = [
    pytest.param(401, envelope(401, "X-API-Token 无效"), ErrorClass.BAD_CREDENTIALS, id="401"),
    pytest.param(200, envelope(401, "X-API-Token 无效"), ErrorClass.BAD_CREDENTIALS, id="200-code-401"),
    pytest.param(403, envelope(403, "无权限"), ErrorClass.BAD_CREDENTIALS, id="403"),
    pytest.param(200, envelope(403, "账号已禁用"), ErrorClass.BAD_CREDENTIALS, id="200-code-403"),
    pytest.param(402, envelope(402, "余额不足"), ErrorClass.INSUFFICIENT_BALANCE, id="402"),
    pytest.param(200, envelope(402, "余额不足"), ErrorClass.INSUFFICIENT_BALANCE, id="200-code-402"),
    pytest.param(200, envelope(1001, "金币不足,请充值"), ErrorClass.INSUFFICIENT_BALANCE, id="coins-words"),
    pytest.param(400, envelope(400, "prompt 不能为空"), ErrorClass.INVALID_PARAMETERS, id="400"),
    pytest.param(200, envelope(400, "productImages 最多 100 张"), ErrorClass.INVALID_PARAMETERS, id="200-code-400"),
    pytest.param(400, envelope(400, "图片下载失败: https://x"), ErrorClass.TRANSIENT, id="unreachable-input"),
    pytest.param(200, envelope(4001, "产品图无法访问"), ErrorClass.TRANSIENT, id="200-unreachable-input"),
    pytest.param(200, envelope(1001, "系统繁忙,请稍后再试"), ErrorClass.TRANSIENT, id="200-busy-words"),
    pytest.param(200, envelope(9999, "系统异常"), ErrorClass.TRANSIENT, id="200-exception-words"),
    pytest.param(200, envelope(401, "登录超时,请重新获取 Token"), ErrorClass.BAD_CREDENTIALS, id="401-timeout-words"),
    pytest.param(429, envelope(429, "队列已满,请稍后重试"), ErrorClass.RATE_LIMITED, id="429"),
    pytest.param(200, envelope(429, "队列已满"), ErrorClass.RATE_LIMITED, id="200-code-429"),
    pytest.param(429, {"message": "Too Many Requests"}, ErrorClass.RATE_LIMITED, id="429-other-body"),
    pytest.param(429, envelope(5003, "服务繁忙"), ErrorClass.RATE_LIMITED, id="429-odd-code"),
    pytest.param(500, envelope(500, "服务器内部错误"), ErrorClass.TRANSIENT, id="500"),
    pytest.param(200, envelope(500, "服务器内部错误"), ErrorClass.TRANSIENT, id="200-code-500"),
    pytest.param(502, b"<html>Bad Gateway</html>", ErrorClass.TRANSIENT, id="502-html"),
    pytest.param(503, b"", ErrorClass.TRANSIENT, id="503-empty"),
    pytest.param(200, b'{"code": 200, "data": {', ErrorClass.TRANSIENT, id="malformed-json"),
    pytest.param(200, {"code": 200, "message": "ok", "data": None}, ErrorClass.TRANSIENT, id="no-data"),
    pytest.param(404, envelope(404, "任务不存在"), ErrorClass.PERMANENT, id="404"),
    pytest.param(200, envelope(1234, "内容违规"), ErrorClass.PERMANENT, id="unknown-code"),
]


def answer_with(recorder, status, body):
    if isinstance(body, bytes):
        recorder.answer(status=status, content=body)
    else:
        recorder.answer(status=status, json=body)


@pytest.mark.parametrize(("http_status", "body", "error_class"), ERRORS)
def test_it_classifies_submit_errors(adapter, recorder, http_status, body, error_class):
    answer_with(recorder, http_status, body)

    with pytest.raises(VendorError) as raised:
        adapter.submit(document_request())

    assert raised.value.error_class == error_class
    if isinstance(body, dict) and "code" in body and body["code"] != 200:
        assert raised.value.message == body["message"]


@pytest.mark.parametrize(("http_status", "body", "error_class"), ERRORS)
def test_it_classifies_poll_errors_as_errors_never_as_a_failed_task(adapter, recorder, http_status, body, error_class):
    answer_with(recorder, http_status, body)

    with pytest.raises(VendorError) as raised:
        adapter.poll("task_xxxxxxxx")

    assert raised.value.error_class == error_class


SUBMIT_OUTCOMES = [
    *transport_outcomes(json.dumps(DOCUMENT_RESPONSE).encode()[:90]),
    pytest.param((429, envelope(429, "队列已满,请稍后重试")), ErrorClass.RATE_LIMITED, Outcome.REFUSED, id="429"),
    pytest.param((200, envelope(429, "队列已满")), ErrorClass.RATE_LIMITED, Outcome.REFUSED, id="200-queue-full"),
    pytest.param((200, envelope(500, "服务器内部错误")), ErrorClass.TRANSIENT, Outcome.UNKNOWN, id="200-code-500"),
    pytest.param((200, envelope(1001, "系统繁忙")), ErrorClass.TRANSIENT, Outcome.UNKNOWN, id="200-busy"),
    pytest.param((200, envelope(400, "图片下载失败")), ErrorClass.TRANSIENT, Outcome.REFUSED, id="200-no-download"),
    pytest.param((400, envelope(400, "产品图无法访问")), ErrorClass.TRANSIENT, Outcome.REFUSED, id="400-no-access"),
    pytest.param((200, envelope(400, "prompt 不能为空")), ErrorClass.INVALID_PARAMETERS, Outcome.REFUSED, id="invalid"),
    pytest.param((200, envelope(401, "X-API-Token 无效")), ErrorClass.BAD_CREDENTIALS, Outcome.REFUSED, id="bad-key"),
]


@pytest.mark.parametrize(("answer", "error_class", "outcome"), SUBMIT_OUTCOMES)
def test_it_says_what_the_vendor_can_have_done_with_a_failed_submit(adapter, recorder, answer, error_class, outcome):
    recorder.give(answer)

    with pytest.raises(VendorError) as raised:
        adapter.submit(document_request())

    assert (raised.value.error_class, raised.value.outcome) == (error_class, outcome)


def test_an_unreachable_input_on_a_gateway_error_page_stays_unknown(adapter, recorder):
    recorder.answer(status=502, content="<html><body>网站无法访问</body></html>".encode())

    with pytest.raises(VendorError) as raised:
        adapter.submit(document_request())

    assert raised.value.outcome == Outcome.UNKNOWN


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((404, envelope(404, "任务不存在")), id="http-404"),
        pytest.param((200, envelope(404, "任务不存在")), id="200-code-404"),
        pytest.param((200, envelope(400, "任务不存在")), id="200-words"),
        pytest.param((200, {"code": 200, "message": "任务不存在", "data": None}), id="200-no-data"),
    ],
)
def test_the_connection_check_takes_an_unknown_task_as_a_working_key(adapter, recorder, answer):
    recorder.give(answer)

    assert adapter.check_connection()
    assert recorder.last.url.params["taskId"] == CONNECTION_CHECK_TASK_ID


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((200, envelope(401, "X-API-Token 无效")), id="200-code-401"),
        pytest.param((200, envelope(403, "任务不存在或无权限")), id="200-code-403"),
        pytest.param((401, envelope(401, "token 不存在")), id="http-401"),
    ],
)
def test_the_connection_check_says_wrong_key_for_a_refused_token(adapter, recorder, answer):
    recorder.give(answer)

    with pytest.raises(VendorError) as raised:
        adapter.check_connection()

    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS


def test_the_connection_check_fails_when_the_vendor_is_broken(adapter, recorder):
    recorder.answer(json=envelope(500, "服务器内部错误"))

    with pytest.raises(VendorError) as raised:
        adapter.check_connection()

    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_keeps_the_token_out_of_error_messages(adapter, recorder):
    recorder.answer(status=401, json=envelope(401, f"token {TOKEN} 无效"))

    with pytest.raises(VendorError) as raised:
        adapter.submit(document_request())

    assert TOKEN not in raised.value.message
    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS


# Validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (wash(prompt=""), "prompt", "required"),
        (wash(prompt="   "), "prompt", "Describe the wash"),
        (wash(products=0), "product", "between 1 and 2000"),
        (wash(products=101), "productImages", "At most 100 images per call"),  # split() first: one call takes 100
        (wash(references=2), "reference", "between 0 and 1"),
        (wash(resolution="8k"), "resolution", "1k, 2k, 4k"),
        (wash(aspectRatio="7:3"), "aspectRatio", "Choose one of"),
        (wash(count=0), "count", "between 1 and 100"),
        (wash(count=101), "count", "between 1 and 100"),
        (wash(count=1.5), "count", "whole number"),
        (wash(seed=3), "seed", "Not a parameter"),
        (
            SubmitRequest(
                Operation.WASH, "nanoBanana2", {"prompt": PROMPT}, (InputImage("product", "u"), InputImage("mask", "m"))
            ),
            "inputs",
            "mask",
        ),
    ],
)
def test_it_refuses_what_the_document_rules_out_before_sending(adapter, recorder, request_, field, words):
    with pytest.raises(InvalidParameters) as raised:
        adapter.submit(request_)

    assert words in raised.value.field_errors[field]
    assert recorder.requests == []


def test_it_refuses_to_send_more_than_100_children_in_one_call(adapter, recorder):
    with pytest.raises(InvalidParameters) as raised:
        adapter.submit(wash(products=51, references=0, count=2))

    assert "split" in raised.value.message
    assert recorder.requests == []


def test_it_only_washes(adapter):
    from studio.vendors.base import NotSupported

    with pytest.raises(NotSupported):
        adapter.parameters(Operation.UPSCALE, "nanoBanana2")


# Counting and splitting ------------------------------------------------------------------------


def test_it_counts_products_times_references_times_count(adapter):
    assert adapter.output_count(document_request()) == 4
    assert adapter.output_count(wash(products=3, references=0, count=2)) == 6
    assert adapter.output_count(wash(products=5, references=0)) == 5


def test_it_leaves_a_request_of_at_most_100_children_whole(adapter):
    request = wash(products=50, references=1, count=2)

    assert adapter.split(request) == [request]


def test_it_splits_by_products_into_calls_of_at_most_100_children(adapter):
    request = adapter.validate(wash(products=100, references=1, count=3))

    calls = adapter.split(request)

    assert [len(call.inputs_with_role("product")) for call in calls] == [33, 33, 33, 1]
    assert all(adapter.output_count(call) <= 100 for call in calls)
    assert sum(adapter.output_count(call) for call in calls) == adapter.output_count(request) == 300
    assert all(call.inputs_with_role("reference") == request.inputs_with_role("reference") for call in calls)
    assert [image.url for call in calls for image in call.inputs_with_role("product")] == [
        image.url for image in request.inputs_with_role("product")
    ]
    assert [call.idempotency_key for call in calls] == [f"run-7-task-1-{n}" for n in (1, 2, 3, 4)]
    assert all(call.params == request.params for call in calls)


def test_it_splits_one_product_per_call_when_count_is_large(adapter):
    calls = adapter.split(wash(products=3, references=0, count=100))

    assert [call.inputs_with_role("product")[0].url for call in calls] == [
        f"https://your-cdn.com/product-{n}.jpg" for n in (1, 2, 3)
    ]


# Catalogue -------------------------------------------------------------------------------------


def test_it_offers_every_model_of_the_document_priced_by_resolution():
    assert {(entry.operation, entry.model) for entry in CATALOGUE} == {
        (Operation.WASH, "nanoBanana2"),
        (Operation.WASH, "nanoBananaPro"),
    }
    for entry in CATALOGUE:
        assert entry.price_by == ("resolution",)
        assert set(entry.price_table) == {"1k", "2k", "4k"}


def test_it_prices_the_documents_example_at_its_unit_coins(adapter):
    nano = next(entry for entry in CATALOGUE if entry.model == "nanoBanana2")
    request = adapter.validate(document_request())

    price = points_per_output(
        points=nano.points,
        price_by=nano.price_by,
        price_table=nano.price_table,
        price_inputs=adapter.price_inputs(request),
    )

    assert price == DOCUMENT_RESPONSE["data"]["cost"]["unitCoins"]


def test_it_declares_the_documented_choices(adapter):
    params = {param.name: param for param in adapter.parameters(Operation.WASH, "nanoBanana2")}

    assert params["prompt"].required
    assert params["resolution"].choices == ("1k", "2k", "4k")
    assert {"auto", "1:1", "4:3", "16:9", "9:16"} <= set(params["aspectRatio"].choices)
    assert (params["count"].min, params["count"].max) == (1, 100)
