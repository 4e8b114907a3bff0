"""Wire tests for the lingtu adapter against the vendor document seeds/004_66e13161b930e2ec.txt."""

import hashlib
import hmac
import io
import json
import logging
import time

import pytest
from PIL import Image

from studio.vendors.base import (
    ErrorClass,
    InputImage,
    InvalidParameters,
    Outcome,
    Status,
    SubmitRequest,
    VendorError,
)
from studio.vendors.lingtu import CATALOGUE, LingtuAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import transport_outcomes

BASE = "https://open.lingtu.example"
CREDENTIALS = {"app_key": "app-7f3a", "secret": "lingtu-secret-9c2e"}
OSS = "https://aiad-prod.oss-cn-heyuan.aliyuncs.com/1/8076719832378114048/4617955318885779505"
# The document's change-background example.
GOODS_URL = f"{OSS}/eb6aefcf64e14abf81c678fdeefe792b.png"
BACKGROUND_URL = f"{OSS}/b04deb391450478d95b3feabbe1d5415.png"
MASK_URL = f"{OSS}/cfe43d5df4124a6089ba32144ab27eec.png"
DOCUMENT_PLACEMENT = {"x": 223, "y": 269, "width": 614, "height": 609}
JOB_ID = "8076719832378114048"


def make_adapter(recorder, **options) -> LingtuAdapter:
    return LingtuAdapter(
        base_url=BASE + "/", credentials=CREDENTIALS, http=recorder.http(secrets=CREDENTIALS.values()), options=options
    )


def png(mode="RGBA", colour=(200, 40, 40, 0), size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode == "RGBA" else colour[:3]).save(buffer, "PNG")
    return buffer.getvalue()


def opener(data: bytes):
    return lambda: io.BytesIO(data)


def change_background(params=None, *, inputs=None, key="task-0001") -> SubmitRequest:
    defaults = {"width": 1024, "height": 1024, "product_smart_color": True, "reference_strong": True}
    if inputs is None:
        inputs = (
            InputImage("product", GOODS_URL, options=dict(DOCUMENT_PLACEMENT)),
            InputImage("background", BACKGROUND_URL),
            InputImage("mask", MASK_URL),
        )
    return SubmitRequest(Operation.CHANGE_BACKGROUND, "", {**defaults, **(params or {})}, tuple(inputs), key)


def ai_model(params=None, *, inputs=None, key="task-0002") -> SubmitRequest:
    inputs = inputs if inputs is not None else (InputImage("model", f"{OSS}/model.png"),)
    return SubmitRequest(Operation.AI_MODEL, "", {"face_id": "face_01", **(params or {})}, tuple(inputs), key)


def try_on(garments=(("upper.png", "upperBody"), ("lower.png", "lowerBody")), params=None) -> SubmitRequest:
    inputs = [InputImage("model", f"{OSS}/model.png")]
    inputs += [InputImage("garment", f"{OSS}/{name}", options={"type": kind}) for name, kind in garments]
    return SubmitRequest(Operation.TRY_ON, "", dict(params or {}), tuple(inputs), "task-0003")


def sent_json(request):
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def assert_hmac_signed(request):
    expected = hmac.new(CREDENTIALS["secret"].encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-App-Key"] == CREDENTIALS["app_key"]
    assert request.headers["X-Signature"] == expected
    assert "sign" not in request.headers


# Submits ----------------------------------------------------------------------------------------------


def test_it_sends_the_documents_change_background_example(recorder):
    recorder.answer(json=JOB_ID)
    state = make_adapter(recorder).submit(change_background())

    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/aigc/synthesis/change-background")
    assert sent_json(request) == {
        "requestId": "task-0001",
        "width": 1024,
        "height": 1024,
        "goods": {"url": GOODS_URL, "x": 223, "y": 269, "width": 614, "height": 609},
        "background": {"url": BACKGROUND_URL, "mask": MASK_URL},
        "productSmartColor": True,
        "referenceStrong": True,
        "num": 1,
    }
    assert_hmac_signed(request)
    assert state.status == Status.QUEUED
    assert state.vendor_task_id == JOB_ID
    assert state.details["request_id"] == "task-0001"


def test_it_sends_numbers_and_booleans_with_their_json_types(recorder):
    recorder.answer(json=JOB_ID)
    params = {"width": "800", "height": "600", "num": "4", "product_smart_color": "false", "reference_strong": "0"}
    inputs = (
        InputImage("product", GOODS_URL, options={"x": "10", "y": 20, "width": 300.0, "height": 200}),
        InputImage("background", BACKGROUND_URL),
    )
    make_adapter(recorder).submit(change_background(params, inputs=inputs))

    body = sent_json(recorder.last)
    assert body["width"] == 800 and body["height"] == 600 and body["num"] == 4
    assert body["goods"] == {"url": GOODS_URL, "x": 10, "y": 20, "width": 300, "height": 200}
    assert body["productSmartColor"] is False and body["referenceStrong"] is False
    assert body["background"] == {"url": BACKGROUND_URL}
    assert all(type(body["goods"][name]) is int for name in ("x", "y", "width", "height"))


def test_it_resolves_a_catalogue_background_id_to_its_url(recorder):
    recorder.answer(json={"bgs": [{"id": "bg_9", "category": "indoor", "image": f"{OSS}/bg9.png"}]})
    recorder.answer(json=JOB_ID)
    inputs = (InputImage("product", GOODS_URL, options=dict(DOCUMENT_PLACEMENT)),)
    make_adapter(recorder).submit(change_background({"bg_id": "bg_9"}, inputs=inputs))

    listing, submit = recorder.requests
    assert (listing.method, listing.url.path) == ("GET", "/aigc/synthesis/change-background/bgs")
    assert sent_json(submit)["background"] == {"bgId": "bg_9", "url": f"{OSS}/bg9.png"}


def test_it_refuses_a_background_id_missing_from_the_catalogue(recorder):
    recorder.answer(json={"bgs": [{"id": "bg_1", "category": "outdoor", "image": f"{OSS}/bg1.png"}]})
    inputs = (InputImage("product", GOODS_URL, options=dict(DOCUMENT_PLACEMENT)),)
    with pytest.raises(InvalidParameters) as raised:
        make_adapter(recorder).submit(change_background({"bg_id": "bg_404"}, inputs=inputs))
    assert "bg_id" in raised.value.field_errors
    assert [request.method for request in recorder.requests] == ["GET"]


def test_it_sends_the_ai_model_request(recorder):
    recorder.answer(json=JOB_ID)
    inputs = (InputImage("model", f"{OSS}/model.png"), InputImage("background", f"{OSS}/beach.png"))
    make_adapter(recorder).submit(ai_model({"num": 2}, inputs=inputs))

    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/aigc/synthesis/model")
    assert sent_json(request) == {
        "requestId": "task-0002",
        "model": f"{OSS}/model.png",
        "faceId": "face_01",
        "background": f"{OSS}/beach.png",
        "num": 2,
    }
    assert_hmac_signed(request)


def test_it_leaves_the_ai_model_background_out_when_there_is_none(recorder):
    recorder.answer(json=JOB_ID)
    make_adapter(recorder).submit(ai_model())
    assert "background" not in sent_json(recorder.last)


def test_it_sends_the_try_on_request(recorder):
    recorder.answer(json=JOB_ID)
    make_adapter(recorder).submit(try_on())

    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/aigc/synthesis/dress")
    assert sent_json(request) == {
        "requestId": "task-0003",
        "model": f"{OSS}/model.png",
        "dresses": [
            {"image": f"{OSS}/upper.png", "type": "upperBody"},
            {"image": f"{OSS}/lower.png", "type": "lowerBody"},
        ],
        "num": 1,
    }


@pytest.mark.parametrize(
    "answer",
    [
        {"json": JOB_ID},  # "8076719832378114048": the document's bare string
        {"content": JOB_ID.encode()},  # the same, unquoted: a long number
        {"content": b"job-42ab"},  # a bare id that is not JSON at all
        {"json": {"jobId": JOB_ID}},
        {"json": {"code": 200, "message": "success", "data": JOB_ID}},
        {"json": {"code": 0, "data": {"jobId": int(JOB_ID)}}},
    ],
)
def test_it_reads_the_job_id_from_every_submit_answer_shape(recorder, answer):
    recorder.answer(**answer)
    state = make_adapter(recorder).submit(ai_model())
    assert state.vendor_task_id in (JOB_ID, "job-42ab")


@pytest.mark.parametrize("content", [b"", b"<html>bad gateway</html>", b'{"jobId": ""}', b"null"])
def test_it_treats_a_submit_answer_without_a_job_id_as_transient(recorder, content):
    recorder.answer(content=content)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(ai_model())
    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_uses_the_idempotency_key_as_request_id_so_retries_hit_the_same_job(recorder):
    recorder.answer(json=JOB_ID)
    recorder.answer(json=JOB_ID)
    adapter = make_adapter(recorder)
    adapter.submit(ai_model(key="run-5-task-17"))
    adapter.submit(ai_model(key="run-5-task-17"))
    first, second = (json.loads(request.content)["requestId"] for request in recorder.requests)
    assert first == second == "run-5-task-17"


def test_it_keeps_a_long_idempotency_key_within_the_100_character_limit(recorder):
    recorder.answer(json=JOB_ID)
    make_adapter(recorder).submit(ai_model(key="k" * 150))
    request_id = json.loads(recorder.last.content)["requestId"]
    assert len(request_id) <= 100
    assert request_id == hashlib.sha256(b"k" * 150).hexdigest()


def test_it_centres_the_product_when_no_placement_is_given(recorder):
    recorder.answer(json=JOB_ID)
    product = InputImage("product", GOODS_URL, open=opener(png(size=(200, 100))))
    inputs = (product, InputImage("background", BACKGROUND_URL))
    make_adapter(recorder).submit(change_background({"width": 1000, "height": 800}, inputs=inputs))
    assert sent_json(recorder.last)["goods"] == {"url": GOODS_URL, "x": 100, "y": 200, "width": 800, "height": 400}


@pytest.mark.parametrize("x", ["inf", "nan", "1e999", "ten", 12.5])
def test_a_placement_that_is_no_whole_number_is_refused_before_any_call(recorder, x):
    options = {"x": x, "y": 0, "width": 100, "height": 100}
    product = InputImage("product", GOODS_URL, open=opener(png(size=(200, 100))), options=options)
    inputs = (product, InputImage("background", BACKGROUND_URL))
    with pytest.raises(InvalidParameters) as refused:
        make_adapter(recorder).submit(change_background({"width": 1000, "height": 800}, inputs=inputs))
    assert "whole numbers" in refused.value.field_errors["product"] and not recorder.requests


# Signatures -------------------------------------------------------------------------------------------


def test_it_signs_with_the_sdk_scheme_when_the_account_says_so(recorder):
    recorder.answer(json={"jobId": JOB_ID})
    make_adapter(recorder, signer="sdk").submit(ai_model())

    headers = recorder.last.headers
    assert headers["appId"] == CREDENTIALS["app_key"]
    assert abs(int(headers["timestamp"]) - time.time()) < 5
    assert len(headers["salt"]) >= 16
    text = (
        f"{CREDENTIALS['app_key']}/aigc/synthesis/model{headers['salt']}{headers['timestamp']}{CREDENTIALS['secret']}"
    )
    assert headers["sign"] == hashlib.sha256(text.encode()).hexdigest()
    assert "X-Signature" not in headers


def test_it_signs_a_get_over_an_empty_body(recorder):
    recorder.answer(json={"faces": []})
    make_adapter(recorder).faces()
    assert recorder.last.content == b""
    assert_hmac_signed(recorder.last)
    assert "Content-Type" not in recorder.last.headers


def test_it_refuses_an_unknown_signer_setting_before_any_call(recorder):
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder, signer="md5").faces()
    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS
    assert recorder.requests == []


# Results, cancel, catalogues --------------------------------------------------------------------------


def test_it_asks_for_a_job_result_and_reads_comma_separated_urls(recorder):
    recorder.answer(
        json={"status": "succeed", "message": "", "url": f"{OSS}/r1.png,{OSS}/r2.png", "text": "", "format": "png"}
    )
    state = make_adapter(recorder).poll(JOB_ID)

    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/aigc/job/result")
    assert sent_json(request) == {"jobId": JOB_ID}
    assert_hmac_signed(request)
    assert state.status == Status.SUCCEEDED
    assert [file.url for file in state.files] == [f"{OSS}/r1.png", f"{OSS}/r2.png"]
    assert state.details["format"] == "png"
    assert state.details["expires_in_hours"] == 12


@pytest.mark.parametrize(
    ("vendor_status", "status"),
    [
        ("waiting", Status.QUEUED),
        ("executing", Status.RUNNING),
        ("succeed", Status.SUCCEEDED),
        ("failed", Status.FAILED),
        ("Canceled", Status.CANCELED),
        ("CANCELED", Status.CANCELED),
        ("Executing", Status.RUNNING),
    ],
)
def test_it_maps_every_documented_status(recorder, vendor_status, status):
    recorder.answer(json={"status": vendor_status, "url": f"{OSS}/r1.png", "message": "失败"})
    assert make_adapter(recorder).poll(JOB_ID).status == status


def test_it_treats_an_unknown_status_as_running_and_logs_it(recorder, caplog):
    recorder.answer(json={"status": "paused"})
    with caplog.at_level(logging.WARNING, logger="studio.vendors.lingtu"):
        assert make_adapter(recorder).poll(JOB_ID).status == Status.RUNNING
    assert "paused" in caplog.text


def test_it_reports_a_failed_job_with_the_vendors_message(recorder):
    recorder.answer(json={"status": "failed", "message": "生成失败：图片中未识别到完整商品", "url": None})
    state = make_adapter(recorder).poll(JOB_ID)
    assert state.status == Status.FAILED
    assert state.error.error_class == ErrorClass.PERMANENT
    assert state.error.message == "生成失败：图片中未识别到完整商品"


def test_it_fails_a_succeeded_job_that_has_no_url(recorder):
    recorder.answer(json={"status": "succeed", "url": ""})
    state = make_adapter(recorder).poll(JOB_ID)
    assert state.status == Status.FAILED and state.files == []


def test_it_treats_a_result_without_status_as_transient(recorder):
    recorder.answer(json={"foo": "bar"})
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll(JOB_ID)
    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_cancels_a_job_with_a_reason(recorder):
    recorder.answer(json={"success": True, "message": None})
    assert make_adapter(recorder).cancel(JOB_ID, reason="user stopped the run") is True

    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/aigc/job/cancel")
    assert sent_json(request) == {"jobId": JOB_ID, "reason": "user stopped the run"}
    assert_hmac_signed(request)


def test_it_reports_a_refused_cancel(recorder):
    recorder.answer(json={"success": False, "message": "只有等待执行的任务才能取消"})
    assert make_adapter(recorder).cancel(JOB_ID) is False
    assert sent_json(recorder.last) == {"jobId": JOB_ID}


def test_it_lists_backgrounds(recorder):
    recorder.answer(
        json={
            "bgs": [
                {"id": "1", "category": "indoor", "image": f"{OSS}/in.png"},
                {"id": "2", "category": "simplicity", "image": f"{OSS}/plain.png"},
            ]
        }
    )
    backgrounds = make_adapter(recorder).backgrounds()
    assert (recorder.last.method, recorder.last.url.path) == ("GET", "/aigc/synthesis/change-background/bgs")
    assert [(bg.id, bg.category, bg.image) for bg in backgrounds] == [
        ("1", "indoor", f"{OSS}/in.png"),
        ("2", "simplicity", f"{OSS}/plain.png"),
    ]


def test_it_lists_faces_and_uses_them_to_check_the_connection(recorder):
    faces = {"faces": [{"id": "f1", "gender": "female", "skin": "yellow", "age": "adult", "preview": f"{OSS}/f1.png"}]}
    recorder.answer(json=faces)
    recorder.answer(json=faces)
    adapter = make_adapter(recorder)

    face = adapter.faces()[0]
    assert (recorder.last.method, recorder.last.url.path) == ("GET", "/aigc/synthesis/model/faces")
    assert (face.id, face.gender, face.skin, face.age, face.preview) == (
        "f1",
        "female",
        "yellow",
        "adult",
        f"{OSS}/f1.png",
    )
    assert "1 model faces" in adapter.check_connection()


# Errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("http_status", [200, 400])
@pytest.mark.parametrize(
    ("code", "message", "error_class"),
    [
        (800000, "剩余生成次数不足", ErrorClass.INSUFFICIENT_BALANCE),
        (800001, "文本不能为空或长度过长", ErrorClass.INVALID_PARAMETERS),
        (800002, "图片不能为空或无法访问", ErrorClass.TRANSIENT),
        (800003, "风格错误", ErrorClass.INVALID_PARAMETERS),
        (800004, "宽高比错误", ErrorClass.INVALID_PARAMETERS),
        ("800000", "剩余生成次数不足", ErrorClass.INSUFFICIENT_BALANCE),
    ],
)
def test_it_classifies_every_documented_error_code(recorder, http_status, code, message, error_class):
    recorder.answer(json={"code": code, "message": message}, status=http_status)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(change_background())
    assert raised.value.error_class == error_class
    assert raised.value.message == message
    assert raised.value.code == int(code)
    assert raised.value.http_status == http_status


@pytest.mark.parametrize("http_status", [200, 401])
def test_it_classifies_a_failed_signature_as_bad_credentials(recorder, http_status):
    recorder.answer(json={"code": 401, "message": "签名校验失败"}, status=http_status)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll(JOB_ID)
    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS


@pytest.mark.parametrize(
    ("http_status", "answer", "error_class"),
    [
        (429, {"json": {"code": 429, "message": "请求过于频繁，请稍后再试"}}, ErrorClass.RATE_LIMITED),
        (429, {"content": b"Too Many Requests"}, ErrorClass.RATE_LIMITED),
        (500, {"content": b"Internal Server Error"}, ErrorClass.TRANSIENT),
        (503, {"json": {"code": 503, "message": "服务繁忙"}}, ErrorClass.TRANSIENT),
        (200, {"json": {"code": 500, "message": "系统异常"}}, ErrorClass.TRANSIENT),
        (401, {"content": b"Unauthorized"}, ErrorClass.BAD_CREDENTIALS),
        (403, {"json": {"code": 403, "message": "forbidden"}}, ErrorClass.BAD_CREDENTIALS),
        (404, {"json": {"code": 404, "message": "任务不存在"}}, ErrorClass.PERMANENT),
        (400, {"json": {"code": 400, "message": "requestId不能为空"}}, ErrorClass.INVALID_PARAMETERS),
        (200, {"json": {"code": 812345, "message": "内容违规"}}, ErrorClass.PERMANENT),
        (200, {"json": {"code": 812345, "message": "系统繁忙"}}, ErrorClass.TRANSIENT),
        (200, {"json": {"code": 1, "message": "服务器内部错误"}}, ErrorClass.TRANSIENT),
        (200, {"json": {"code": "INTERNAL_ERROR", "message": "internal error"}}, ErrorClass.TRANSIENT),
        (200, {"json": {"code": "QUEUE_FULL", "message": "排队人数过多"}}, ErrorClass.RATE_LIMITED),
        (200, {"json": {"code": 403, "message": "请求超时或签名过期"}}, ErrorClass.BAD_CREDENTIALS),
    ],
)
def test_it_classifies_http_errors(recorder, http_status, answer, error_class):
    recorder.answer(status=http_status, **answer)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll(JOB_ID)
    assert raised.value.error_class == error_class
    assert raised.value.http_status == http_status


RATE, TRANSIENT, REFUSED, UNKNOWN = ErrorClass.RATE_LIMITED, ErrorClass.TRANSIENT, Outcome.REFUSED, Outcome.UNKNOWN
SUBMIT_OUTCOMES = [
    *transport_outcomes(b'"8076719832378114048'),
    pytest.param((429, {"code": 429, "message": "请求过于频繁"}), RATE, REFUSED, id="429"),
    pytest.param((200, {"code": 429, "message": "请求过于频繁"}), RATE, REFUSED, id="200-429"),
    pytest.param((200, {"code": 500, "message": "系统异常"}), TRANSIENT, UNKNOWN, id="200-code-500"),
    pytest.param((200, {"code": 812345, "message": "系统繁忙"}), TRANSIENT, UNKNOWN, id="200-busy"),
    pytest.param((200, {"code": 800002, "message": "图片不能为空或无法访问"}), TRANSIENT, REFUSED, id="200-800002"),
    pytest.param((400, {"code": 800002, "message": ""}), TRANSIENT, REFUSED, id="800002-no-words"),
    pytest.param((200, {"code": 800004, "message": "宽高比错误"}), ErrorClass.INVALID_PARAMETERS, REFUSED, id="bad"),
    pytest.param((200, {"code": 401, "message": "签名校验失败"}), ErrorClass.BAD_CREDENTIALS, REFUSED, id="bad-key"),
]


@pytest.mark.parametrize(("answer", "error_class", "outcome"), SUBMIT_OUTCOMES)
def test_it_says_what_the_vendor_can_have_done_with_a_failed_submit(recorder, answer, error_class, outcome):
    recorder.give(answer)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(change_background())
    assert (raised.value.error_class, raised.value.outcome) == (error_class, outcome)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda adapter: adapter.poll(JOB_ID), id="result"),
        pytest.param(lambda adapter: adapter.cancel(JOB_ID), id="cancel"),
        pytest.param(lambda adapter: adapter.backgrounds(), id="bgs"),
        pytest.param(lambda adapter: adapter.faces(), id="faces"),
    ],
)
@pytest.mark.parametrize(
    ("body", "error_class"),
    [
        ({"code": 500, "message": "服务器内部错误"}, ErrorClass.TRANSIENT),
        ({"code": 812345, "message": "系统繁忙"}, ErrorClass.TRANSIENT),
        ({"code": "INTERNAL_ERROR", "message": ""}, ErrorClass.TRANSIENT),
        ({"code": 429, "message": "请求过于频繁"}, ErrorClass.RATE_LIMITED),
        ({"code": 401, "message": "签名校验失败"}, ErrorClass.BAD_CREDENTIALS),
    ],
)
def test_every_endpoint_reads_an_error_sent_with_http_200(recorder, call, body, error_class):
    recorder.answer(json=body)
    with pytest.raises(VendorError) as raised:
        call(make_adapter(recorder))
    assert (raised.value.error_class, raised.value.http_status) == (error_class, 200)


@pytest.mark.parametrize(
    ("body", "error_class"),
    [
        ({"code": 401, "message": "签名校验失败"}, ErrorClass.BAD_CREDENTIALS),
        ({"code": 403, "message": "forbidden"}, ErrorClass.BAD_CREDENTIALS),
        ({"code": 500, "message": "系统异常"}, ErrorClass.TRANSIENT),
    ],
)
def test_the_connection_check_reads_an_error_sent_with_http_200(recorder, body, error_class):
    recorder.answer(json=body)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).check_connection()
    assert raised.value.error_class == error_class


def test_it_treats_malformed_json_as_transient(recorder):
    recorder.answer(content=b'{"status": "succ')
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll(JOB_ID)
    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_keeps_the_secret_out_of_error_messages(recorder):
    recorder.answer(json={"code": 401, "message": f"签名校验失败: secret {CREDENTIALS['secret']}"}, status=401)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll(JOB_ID)
    assert CREDENTIALS["secret"] not in str(raised.value)


# Validation (nothing is sent) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (change_background({"width": 399}), "width", "between 400 and 1280"),
        (change_background({"height": 1281}), "height", "between 400 and 1280"),
        (change_background({"num": 3}), "num", "1, 2, 4"),
        (ai_model({"num": 8}), "num", "1, 2, 4"),
        (try_on(params={"num": 0}), "num", "1, 2, 4"),
        (ai_model({"face_id": ""}), "face_id", "required"),
        (change_background({"seed": 1}), "seed", "Not a parameter"),
        (
            change_background(inputs=(InputImage("product", GOODS_URL, options=dict(DOCUMENT_PLACEMENT)),)),
            "background",
            "Add a background image",
        ),
        (change_background({"bg_id": "bg_1"}), "background", "not both"),
        (
            change_background(
                {"width": 800},
                inputs=(
                    InputImage("product", GOODS_URL, options={"x": 223, "y": 269, "width": 614, "height": 609}),
                    InputImage("background", BACKGROUND_URL),
                ),
            ),
            "product",
            "inside the 800×1024 canvas",
        ),
        (
            change_background(
                inputs=(
                    InputImage("product", GOODS_URL, options={"x": -1, "y": 0, "width": 10, "height": 10}),
                    InputImage("background", BACKGROUND_URL),
                )
            ),
            "product",
            "inside",
        ),
        (
            change_background(
                inputs=(
                    InputImage("product", GOODS_URL, options={"x": 0, "y": 0, "width": "wide"}),
                    InputImage("background", BACKGROUND_URL),
                )
            ),
            "product",
            "whole numbers",
        ),
        (
            change_background(inputs=(InputImage("product", GOODS_URL), InputImage("background", BACKGROUND_URL))),
            "product",
            "x, y, width and height are needed",
        ),
        (change_background(inputs=(InputImage("background", BACKGROUND_URL),)), "product", "exactly 1"),
        (ai_model(inputs=()), "model", "exactly 1"),
        (try_on(garments=()), "garment", "between 1 and 3"),
        (try_on(garments=[(f"g{n}.png", "upperBody") for n in range(4)]), "garment", "between 1 and 3"),
        (try_on(garments=[("g.png", "shoes")]), "garment", "dresses, upperBody, lowerBody"),
        (try_on(garments=[("g.png", None)]), "garment", "dresses, upperBody, lowerBody"),
    ],
)
def test_it_refuses_what_the_document_rules_out_before_any_call(recorder, request_, field, words):
    with pytest.raises(InvalidParameters) as raised:
        make_adapter(recorder).submit(request_)
    assert words in raised.value.field_errors[field]
    assert recorder.requests == []


# Offerings, counts and warnings -----------------------------------------------------------------------


def test_it_offers_every_operation_of_the_document():
    assert {entry.operation for entry in CATALOGUE} == {
        Operation.CHANGE_BACKGROUND,
        Operation.AI_MODEL,
        Operation.TRY_ON,
    }
    assert all(entry.points > 0 for entry in CATALOGUE)


def test_it_declares_its_credentials_and_the_documented_parameters():
    adapter = LingtuAdapter(base_url=BASE, credentials=CREDENTIALS)
    assert LingtuAdapter.credential_fields == ("app_key", "secret")
    params = {param.name: param for param in adapter.parameters(Operation.CHANGE_BACKGROUND, "")}
    assert (params["width"].min, params["width"].max) == (400, 1280)
    assert params["num"].choices == (1, 2, 4)
    assert params["product_smart_color"].default is True and params["reference_strong"].default is True
    specs = {spec.role: (spec.min, spec.max) for spec in adapter.input_specs(Operation.TRY_ON, "")}
    assert specs == {"model": (1, 1), "garment": (1, 3)}


@pytest.mark.parametrize("num", [1, 2, 4])
def test_it_counts_num_outputs_per_call(num):
    adapter = LingtuAdapter(base_url=BASE, credentials=CREDENTIALS)
    assert adapter.output_count(adapter.validate(ai_model({"num": num}))) == num


def test_it_warns_when_the_product_is_not_a_transparent_cut_out(recorder):
    recorder.answer(json=JOB_ID)
    opaque = InputImage("product", GOODS_URL, open=opener(png("RGB")), options=dict(DOCUMENT_PLACEMENT))
    state = make_adapter(recorder).submit(change_background(inputs=(opaque, InputImage("background", BACKGROUND_URL))))
    assert any("no transparent background" in warning for warning in state.details["warnings"])
    assert state.status == Status.QUEUED  # a warning, not a refusal


def test_it_warns_about_a_jpeg_product_and_a_background_of_another_size():
    adapter = LingtuAdapter(base_url=BASE, credentials=CREDENTIALS)
    product = InputImage("product", GOODS_URL, content_type="image/jpeg", options=dict(DOCUMENT_PLACEMENT))
    background = InputImage("background", BACKGROUND_URL, open=opener(png("RGB", size=(640, 480))))
    warnings = adapter.warnings(change_background(inputs=(product, background)))
    assert len(warnings) == 2
    assert "640×480" in warnings[1] and "1024×1024" in warnings[1]


def test_it_does_not_warn_about_a_transparent_cut_out():
    adapter = LingtuAdapter(base_url=BASE, credentials=CREDENTIALS)
    product = InputImage("product", GOODS_URL, open=opener(png()), options=dict(DOCUMENT_PLACEMENT))
    assert adapter.warnings(change_background(inputs=(product, InputImage("background", BACKGROUND_URL)))) == []
