"""Wire tests for imagetasks (seeds/001): the exact requests the adapter sends and how it reads every answer."""

import io
import json
import logging

import pytest

from studio.simulator.core import Request
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
from studio.vendors.imagetasks import CATALOGUE, GPT_SIZE_TIERS, MODELS, NANO_MODELS, ImageTasksAdapter
from studio.vendors.operations import Operation
from tests.vendor_fixtures import transport_outcomes

BASE = "https://imagetasks.example.com"
KEY = "sk-test-0123456789"
T2I, I2I = Operation.TEXT_TO_IMAGE, Operation.IMAGE_TO_IMAGE
INPUT_URL = "https://example.com/input.png"
NO_BALANCE, TRANSIENT = ErrorClass.INSUFFICIENT_BALANCE, ErrorClass.TRANSIENT
RATE, INVALID = ErrorClass.RATE_LIMITED, ErrorClass.INVALID_PARAMETERS
REFUSED, UNKNOWN = Outcome.REFUSED, Outcome.UNKNOWN

# §6: the submit answer (already succeeded, as the document's own example).
SUBMIT_ANSWER = {
    "task_id": "task_xxx",
    "status": "succeeded",
    "progress": "100%",
    "result_url": "https://example.com/result.png",
    "metadata": {"task_type": "text2image", "result_count": 1},
    "error": None,
}
# §7: the query answer.
QUERY_ANSWER = {
    "code": "success",
    "message": "",
    "data": {
        "task_id": "task_xxx",
        "status": "succeeded",
        "progress": "100%",
        "result_url": "https://example.com/result.png",
        "metadata": {"task_type": "text2image", "result_count": 1},
        "error": None,
    },
}


def make_adapter(recorder, **options):
    return ImageTasksAdapter(
        base_url=BASE + "/", credentials={"api_key": KEY}, http=recorder.http(secrets=[KEY]), options=options
    )


def reference(url=INPUT_URL, data=b"\x89PNG fake bytes", name="input.png"):
    return InputImage(role="reference", url=url, name=name, content_type="image/png", open=lambda: io.BytesIO(data))


def queued(task_id="task_1"):
    return {**SUBMIT_ANSWER, "task_id": task_id, "status": "queued", "progress": "0%", "result_url": None}


def sent_json(request):
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def assert_post_to_tasks(request):
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/v1/images/tasks"
    assert request.headers["authorization"] == f"Bearer {KEY}"


# Submit: the document's own requests ---------------------------------------------------------


def test_it_sends_the_nanobanana_text_to_image_request_of_section_4_1(recorder):
    recorder.answer(json=SUBMIT_ANSWER)
    prompt = "A small red cube on a clean white desk, minimal product photo, soft daylight"
    make_adapter(recorder).submit(
        SubmitRequest(T2I, "NanoBanana2-0.5K", {"prompt": prompt, "aspect_ratio": "1:1", "output_format": "png"})
    )
    assert_post_to_tasks(recorder.last)
    assert sent_json(recorder.last) == {
        "model": "NanoBanana2-0.5K",
        "task_type": "text2image",
        "prompt": prompt,
        "aspect_ratio": "1:1",
        "output_format": "png",
        "n": 1,
        "response_format": "url",
    }


def test_it_sends_the_nanobanana_image_to_image_request_of_section_4_2(recorder):
    recorder.answer(json=queued())
    prompt = "Turn the reference image into a clean product render"
    params = {"prompt": prompt, "aspect_ratio": "16:9", "output_format": "jpeg"}
    make_adapter(recorder).submit(SubmitRequest(I2I, "NanoBanana2-0.5K", params, (reference(),)))
    assert_post_to_tasks(recorder.last)
    assert sent_json(recorder.last) == {
        "model": "NanoBanana2-0.5K",
        "task_type": "image2image",
        "prompt": prompt,
        "image": INPUT_URL,
        "aspect_ratio": "16:9",
        "output_format": "jpeg",
        "n": 1,
        "response_format": "url",
    }


def test_it_sends_the_gpt_image_2_text_to_image_request_of_section_5_1(recorder):
    recorder.answer(json=queued())
    prompt = "A small blue glass sphere on a clean white desk, minimal product photo, soft daylight"
    params = {"prompt": prompt, "size": "1024x768", "quality": "low", "output_format": "webp", "n": 1}
    make_adapter(recorder).submit(SubmitRequest(T2I, "gpt-image-2", params))
    assert_post_to_tasks(recorder.last)
    body = sent_json(recorder.last)
    assert body == {
        "model": "gpt-image-2",
        "task_type": "text2image",
        "prompt": prompt,
        "size": "1024x768",
        "quality": "low",
        "output_format": "webp",
        "n": 1,
        "response_format": "url",
    }
    assert isinstance(body["n"], int)


def test_it_sends_the_gpt_image_2_image_to_image_request_of_section_5_2_with_defaults(recorder):
    recorder.answer(json=queued())
    prompt = "Keep the product shape, change the background to a bright studio scene"
    make_adapter(recorder).submit(
        SubmitRequest(I2I, "gpt-image-2", {"prompt": prompt, "size": "1024x1024"}, (reference(),))
    )
    assert sent_json(recorder.last) == {
        "model": "gpt-image-2",
        "task_type": "image2image",
        "prompt": prompt,
        "image": INPUT_URL,
        "size": "1024x1024",
        "quality": "medium",
        "output_format": "png",
        "n": 1,
        "response_format": "url",
    }


def test_it_uploads_the_file_as_multipart_like_section_5_3_when_the_account_says_upload_files(recorder):
    recorder.answer(json=queued())
    prompt = "Keep the subject, make it a clean studio product photo"
    request = SubmitRequest(
        I2I, "gpt-image-2", {"prompt": prompt, "size": "1024x1024", "quality": "medium"}, (reference(),)
    )
    make_adapter(recorder, upload_files=True).submit(request)
    sent = recorder.last
    assert_post_to_tasks(sent)
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    fields, files = Request("POST", "/", {}, {"content-type": sent.headers["content-type"]}, sent.content).form()
    assert fields == {
        "model": "gpt-image-2",
        "task_type": "image2image",
        "prompt": prompt,
        "size": "1024x1024",
        "quality": "medium",
        "output_format": "png",
        "n": "1",
        "response_format": "url",
    }
    assert files == {"image": ("input.png", b"\x89PNG fake bytes", "image/png")}


def test_it_sends_several_references_as_images_and_never_image_even_with_upload_files(recorder):
    recorder.answer(json=queued())
    urls = ["https://example.com/a.png", "https://example.com/b.png"]
    request = SubmitRequest(I2I, "NanoBananaPro-2K", {"prompt": "p"}, tuple(reference(url) for url in urls))
    make_adapter(recorder, upload_files=True).submit(request)
    body = sent_json(recorder.last)
    assert body["images"] == urls
    assert "image" not in body
    assert "aspect_ratio" not in body  # image→image keeps the references' proportions unless one is chosen


def test_it_sends_nanobanana_text_to_image_as_square_by_default_and_json_even_with_upload_files(recorder):
    recorder.answer(json=queued())
    make_adapter(recorder, upload_files=True).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}))
    body = sent_json(recorder.last)
    assert body["aspect_ratio"] == "1:1"
    assert body["output_format"] == "png"
    assert "image" not in body and "images" not in body


# Submit and query: the document's own answers ------------------------------------------------


def test_it_accepts_the_documents_already_succeeded_submit_answer_as_terminal(recorder):
    recorder.answer(json=SUBMIT_ANSWER)
    state = make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana2-0.5K", {"prompt": "p"}))
    assert state.status == Status.SUCCEEDED
    assert state.vendor_task_id == "task_xxx"
    assert [file.url for file in state.files] == ["https://example.com/result.png"]
    assert state.progress == 100
    assert state.details == {"task_type": "text2image", "result_count": 1}
    assert state.raw == SUBMIT_ANSWER
    assert len(recorder.requests) == 1


def test_it_reads_a_queued_submit_answer(recorder):
    recorder.answer(json=queued("task_abc"))
    state = make_adapter(recorder).submit(SubmitRequest(T2I, "gpt-image-2", {"prompt": "p", "size": "1024x1024"}))
    assert (state.status, state.vendor_task_id, state.progress, state.files) == (Status.QUEUED, "task_abc", 0, [])


def test_it_queries_the_task_like_section_7_and_reads_its_envelope(recorder):
    recorder.answer(json=QUERY_ANSWER)
    state = make_adapter(recorder).poll("task_xxx")
    sent = recorder.last
    assert sent.method == "GET"
    assert str(sent.url) == f"{BASE}/v1/images/tasks/task_xxx"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.content == b""
    assert state.status == Status.SUCCEEDED
    assert state.vendor_task_id == "task_xxx"
    assert [file.url for file in state.files] == ["https://example.com/result.png"]


def test_it_reads_every_result_from_metadata_result_urls(recorder):
    urls = ["https://example.com/1.png", "https://example.com/2.png", "https://example.com/3.png"]
    data = {**QUERY_ANSWER["data"], "result_url": urls[0], "metadata": {"result_count": 3, "result_urls": urls}}
    recorder.answer(json={**QUERY_ANSWER, "data": data})
    state = make_adapter(recorder).poll("task_xxx")
    assert [file.url for file in state.files] == urls


@pytest.mark.parametrize(
    ("status", "progress", "expected"),
    [("queued", "0%", Status.QUEUED), ("processing", "50%", Status.RUNNING), ("PROCESSING", "50%", Status.RUNNING)],
)
def test_it_maps_running_statuses_and_progress(recorder, status, progress, expected):
    data = {**QUERY_ANSWER["data"], "status": status, "progress": progress, "result_url": None}
    recorder.answer(json={**QUERY_ANSWER, "data": data})
    state = make_adapter(recorder).poll("task_xxx")
    assert (state.status, state.progress, state.files) == (expected, int(progress[:-1]), [])


def test_it_takes_an_unknown_status_as_running_and_logs_it(recorder, caplog):
    recorder.answer(json={**QUERY_ANSWER, "data": {**QUERY_ANSWER["data"], "status": "upscaling"}})
    with caplog.at_level(logging.WARNING, logger="studio.vendors.imagetasks"):
        state = make_adapter(recorder).poll("task_xxx")
    assert state.status == Status.RUNNING
    assert "upscaling" in caplog.text


@pytest.mark.parametrize(
    ("error", "message", "error_class"),
    [
        ("图片生成失败: 内容未通过安全审核", "图片生成失败: 内容未通过安全审核", ErrorClass.PERMANENT),
        ({"code": "generation_failed", "message": "upstream returned nothing"}, "upstream returned nothing",
         ErrorClass.PERMANENT),
        ({"code": "insufficient_user_quota", "message": "用户额度不足"}, "用户额度不足", NO_BALANCE),
        (None, "The vendor reported the task as failed without a reason.", ErrorClass.PERMANENT),
    ],
)  # fmt: skip
def test_it_reports_a_failed_task_as_failed_with_its_error(recorder, error, message, error_class):
    data = {**QUERY_ANSWER["data"], "status": "failed", "result_url": None, "error": error}
    recorder.answer(json={**QUERY_ANSWER, "data": data})
    state = make_adapter(recorder).poll("task_xxx")
    assert state.status == Status.FAILED
    assert state.files == []
    assert state.error.message == message
    assert state.error.error_class == error_class


def test_it_reports_a_failed_submit_answer_as_a_failed_state(recorder):
    recorder.answer(json={**SUBMIT_ANSWER, "status": "failed", "result_url": None, "error": "prompt rejected"})
    state = make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}))
    assert (state.status, state.error.message) == (Status.FAILED, "prompt rejected")


# Errors (undocumented: HTTP status and/or a body code) ----------------------------------------


def openai_error(code, message):
    return {"error": {"message": message, "type": "new_api_error", "code": code}}


def envelope_error(code, message):
    return {"code": code, "message": message, "data": None}


ERROR_CASES = [
    (401, openai_error("invalid_api_key", "无效的令牌"), ErrorClass.BAD_CREDENTIALS),
    (401, {"error": {"message": "未提供令牌", "type": "new_api_error"}}, ErrorClass.BAD_CREDENTIALS),
    (403, openai_error("", "该令牌已被禁用"), ErrorClass.BAD_CREDENTIALS),
    (200, envelope_error("invalid_api_key", "无效的令牌"), ErrorClass.BAD_CREDENTIALS),
    (402, {"message": "Payment Required"}, ErrorClass.INSUFFICIENT_BALANCE),
    (403, openai_error("insufficient_user_quota", "用户额度不足, 剩余额度: ＄0.000000"), NO_BALANCE),
    (403, openai_error("pre_consume_token_quota_failed", "token quota is not enough"), ErrorClass.INSUFFICIENT_BALANCE),
    (429, openai_error("insufficient_quota", "You exceeded your current quota"), ErrorClass.INSUFFICIENT_BALANCE),
    (200, envelope_error("insufficient_user_quota", "余额不足"), ErrorClass.INSUFFICIENT_BALANCE),
    (400, openai_error("invalid_request", "size is required"), ErrorClass.INVALID_PARAMETERS),
    (422, {"message": "Unprocessable Entity"}, ErrorClass.INVALID_PARAMETERS),
    (200, openai_error("invalid_request", "参数错误"), ErrorClass.INVALID_PARAMETERS),
    (429, openai_error("rate_limit_exceeded", "当前分组上游负载已饱和，请稍后再试"), ErrorClass.RATE_LIMITED),
    (429, None, ErrorClass.RATE_LIMITED),
    (500, None, ErrorClass.TRANSIENT),
    (502, openai_error("bad_response", "upstream error"), ErrorClass.TRANSIENT),
    (503, openai_error("get_channel_failed", "当前分组 default 下对于模型 NanoBanana 无可用渠道"), TRANSIENT),
    (404, envelope_error("task_not_exist", "task_not_exist"), ErrorClass.PERMANENT),
    (200, {"error": "content moderation rejected the prompt"}, ErrorClass.PERMANENT),
    # HTTP 200 with a body code: trouble inside the vendor is never a refusal of this task
    (200, {"code": "internal_error", "message": "internal error, please retry"}, TRANSIENT),
    (200, envelope_error("internal_error", "服务器内部错误"), TRANSIENT),
    (200, envelope_error("system_error", "系统异常"), TRANSIENT),
    (200, envelope_error("error", "系统繁忙，请稍后再试"), TRANSIENT),
    (200, openai_error("upstream_error", "upstream request failed"), TRANSIENT),
    (200, openai_error("request_timeout", "request timed out"), TRANSIENT),
    (200, envelope_error("service_unavailable", "service unavailable"), TRANSIENT),
    (200, envelope_error(500, "server error"), TRANSIENT),
    (200, envelope_error("queue_full", "任务队列已满"), ErrorClass.RATE_LIMITED),
    (200, envelope_error("system_busy", "busy"), ErrorClass.RATE_LIMITED),
    (200, envelope_error(429, "too many requests"), ErrorClass.RATE_LIMITED),
    (200, envelope_error(401, "invalid token"), ErrorClass.BAD_CREDENTIALS),
    (200, envelope_error("403", "forbidden"), ErrorClass.BAD_CREDENTIALS),
    (200, envelope_error(400, "bad request"), ErrorClass.INVALID_PARAMETERS),
    (200, envelope_error("invalid_request", "failed to download image from url"), TRANSIENT),
    (200, {"code": "success", "message": "", "data": None}, TRANSIENT),
    (200, [], TRANSIENT),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "error_class"), ERROR_CASES)
def test_it_classifies_a_submit_error(recorder, status, body, error_class):
    if body is None:
        recorder.answer(status=status, content=b"Internal Server Error")
    else:
        recorder.answer(status=status, json=body)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}))
    assert raised.value.error_class == error_class
    assert raised.value.http_status == status
    assert raised.value.message


@pytest.mark.parametrize(("status", "body", "error_class"), ERROR_CASES)
def test_it_classifies_a_query_error(recorder, status, body, error_class):
    if body is None:
        recorder.answer(status=status, content=b"Internal Server Error")
    else:
        recorder.answer(status=status, json=body)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll("task_xxx")
    assert raised.value.error_class == error_class


SUBMIT_OUTCOMES = [
    *transport_outcomes(json.dumps(SUBMIT_ANSWER).encode()[:60]),
    pytest.param((429, openai_error("rate_limit_exceeded", "rate limit")), RATE, REFUSED, id="429"),
    pytest.param((200, envelope_error("queue_full", "任务队列已满")), RATE, REFUSED, id="200-queue-full"),
    pytest.param((200, {"code": "internal_error", "message": "internal error"}), TRANSIENT, UNKNOWN, id="200-internal"),
    pytest.param((200, envelope_error("error", "系统繁忙")), TRANSIENT, UNKNOWN, id="200-busy-words"),
    pytest.param((200, envelope_error("invalid_request", "图片下载失败")), TRANSIENT, REFUSED, id="200-no-download"),
    pytest.param((400, openai_error("invalid_request", "failed to download")), TRANSIENT, REFUSED, id="400-fetch"),
    pytest.param((400, openai_error("invalid_request", "size is required")), INVALID, REFUSED, id="invalid"),
    pytest.param((200, envelope_error(401, "无效的令牌")), ErrorClass.BAD_CREDENTIALS, REFUSED, id="bad-key"),
]


@pytest.mark.parametrize(("answer", "error_class", "outcome"), SUBMIT_OUTCOMES)
def test_it_says_what_the_vendor_can_have_done_with_a_failed_submit(recorder, answer, error_class, outcome):
    recorder.give(answer)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}))
    assert (raised.value.error_class, raised.value.outcome) == (error_class, outcome)


def test_an_internal_error_at_http_200_is_never_a_refusal_of_the_job(recorder):
    """The known bug: the vendor answered this, kept running the task and billed it."""
    recorder.answer(json={"code": "internal_error", "message": "internal error"})
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}))
    assert raised.value.error_class != ErrorClass.PERMANENT
    assert not raised.value.may_resend


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((404, envelope_error("task_not_exist", "task_not_exist")), id="http-404"),
        pytest.param((200, envelope_error("not_found", "task not found")), id="200-not-found"),
        pytest.param((200, envelope_error(404, "not found")), id="200-code-404"),
        pytest.param((200, envelope_error("error", "任务不存在")), id="200-words"),
        pytest.param((200, {"code": "success", "message": "任务不存在", "data": None}), id="200-success-no-data"),
    ],
)
def test_the_connection_check_takes_an_unknown_task_as_a_working_key(recorder, answer):
    recorder.give(answer)
    assert make_adapter(recorder).check_connection()
    assert str(recorder.last.url) == f"{BASE}/v1/images/tasks/{CONNECTION_CHECK_TASK_ID}"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((200, envelope_error(401, "invalid token")), id="200-code-401"),
        pytest.param((200, envelope_error("403", "任务不存在或无权访问")), id="200-code-403"),
        pytest.param((401, openai_error("invalid_api_key", "无效的令牌")), id="http-401"),
    ],
)
def test_the_connection_check_says_wrong_key_for_a_refused_key(recorder, answer):
    recorder.give(answer)
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).check_connection()
    assert raised.value.error_class == ErrorClass.BAD_CREDENTIALS


def test_the_connection_check_fails_on_an_internal_error(recorder):
    recorder.answer(json={"code": "internal_error", "message": "internal error"})
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).check_connection()
    assert raised.value.error_class == TRANSIENT


def test_it_keeps_the_vendor_code_and_words_of_an_error(recorder):
    recorder.answer(status=403, json=openai_error("insufficient_user_quota", "用户额度不足"))
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll("task_xxx")
    assert (raised.value.code, raised.value.message) == ("insufficient_user_quota", "用户额度不足")


def test_it_takes_malformed_json_as_transient(recorder):
    recorder.answer(status=200, content=b'{"code": "success", "data": {')
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).poll("task_xxx")
    assert raised.value.error_class == ErrorClass.TRANSIENT


def test_it_never_repeats_the_key_in_an_error_message(recorder):
    recorder.answer(status=401, json=openai_error("invalid_api_key", f"无效的令牌 {KEY}"))
    with pytest.raises(VendorError) as raised:
        make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}))
    assert KEY not in raised.value.message
    assert "***" in raised.value.message


# Rules enforced before any request -----------------------------------------------------------


def refused(recorder, request, adapter=None):
    with pytest.raises(InvalidParameters) as raised:
        (adapter or make_adapter(recorder)).submit(request)
    assert recorder.requests == []
    return raised.value.field_errors


def test_it_refuses_gpt_image_2_without_a_size_naming_valid_sizes(recorder):
    errors = refused(recorder, SubmitRequest(T2I, "gpt-image-2", {"prompt": "p"}))
    assert "1024x1024" in errors["size"] and "1536x1024" in errors["size"]


def test_it_refuses_a_gpt_image_2_size_not_in_the_list(recorder):
    errors = refused(recorder, SubmitRequest(T2I, "gpt-image-2", {"prompt": "p", "size": "1000x1000"}))
    assert "gpt-image-2" in errors["size"] and "1024x1024" in errors["size"]


def test_it_refuses_an_aspect_ratio_for_gpt_image_2(recorder):
    params = {"prompt": "p", "size": "1024x1024", "aspect_ratio": "1:1"}
    errors = refused(recorder, SubmitRequest(T2I, "gpt-image-2", params))
    assert errors == {"aspect_ratio": "gpt-image-2 does not take an aspect ratio; choose a size instead."}


@pytest.mark.parametrize(
    ("name", "value"),
    [("quality", "ultra"), ("n", 0), ("n", 9), ("n", 1.5), ("output_format", "gif")],
)
def test_it_refuses_gpt_image_2_values_out_of_range(recorder, name, value):
    params = {"prompt": "p", "size": "1024x1024", name: value}
    errors = refused(recorder, SubmitRequest(T2I, "gpt-image-2", params))
    assert list(errors) == [name]


@pytest.mark.parametrize("model", [model for model in NANO_MODELS if model != "NanoBanana"])
def test_it_refuses_webp_for_nanobanana2_and_pro_models(recorder, model):
    errors = refused(recorder, SubmitRequest(T2I, model, {"prompt": "p", "output_format": "webp"}))
    assert errors == {"output_format": f"{model} gives only these formats: png, jpeg."}


def test_it_lets_plain_nanobanana_give_webp(recorder):
    recorder.answer(json=queued())
    make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p", "output_format": "webp"}))
    assert sent_json(recorder.last)["output_format"] == "webp"


def test_it_refuses_an_undocumented_nanobanana_aspect_ratio_and_a_size(recorder):
    errors = refused(recorder, SubmitRequest(T2I, "NanoBanana2-1K", {"prompt": "p", "aspect_ratio": "7:5"}))
    assert "16:9" in errors["aspect_ratio"]
    errors = refused(recorder, SubmitRequest(T2I, "NanoBanana2-1K", {"prompt": "p", "size": "1024x1024"}))
    assert errors == {"size": "NanoBanana models take an aspect ratio, not a size."}


def test_it_refuses_a_missing_prompt(recorder):
    assert "prompt" in refused(recorder, SubmitRequest(T2I, "NanoBanana", {}))


def test_it_refuses_references_for_text_to_image_and_none_or_too_many_for_image_to_image(recorder):
    assert "reference" in refused(recorder, SubmitRequest(T2I, "NanoBanana", {"prompt": "p"}, (reference(),)))
    assert "reference" in refused(recorder, SubmitRequest(I2I, "NanoBanana", {"prompt": "p"}))
    nine = tuple(reference(f"https://example.com/{index}.png") for index in range(9))
    errors = refused(recorder, SubmitRequest(I2I, "gpt-image-2", {"prompt": "p", "size": "1024x1024"}, nine))
    assert "8" in errors["reference"]


def test_it_refuses_inputs_of_other_roles(recorder):
    product = InputImage(role="product", url=INPUT_URL)
    errors = refused(recorder, SubmitRequest(I2I, "NanoBanana", {"prompt": "p"}, (reference(), product)))
    assert "product" in errors["inputs"]


def test_it_refuses_an_unknown_model_and_an_operation_it_does_not_do(recorder):
    assert "model" in refused(recorder, SubmitRequest(T2I, "NanoBanana3-1K", {"prompt": "p"}))
    assert "operation" in refused(recorder, SubmitRequest(Operation.UPSCALE, "NanoBanana", {"prompt": "p"}))


# Counting, splitting and prices --------------------------------------------------------------


def test_it_splits_a_nanobanana_request_into_one_task_per_image(recorder):
    adapter = make_adapter(recorder)
    request = adapter.validate(SubmitRequest(T2I, "NanoBananaPro-4K", {"prompt": "p", "n": 3}, (), "run7-task2"))
    assert adapter.output_count(request) == 3
    parts = adapter.split(request)
    assert [part.params["n"] for part in parts] == [1, 1, 1]
    assert [adapter.output_count(part) for part in parts] == [1, 1, 1]
    assert [part.idempotency_key for part in parts] == ["run7-task2-1", "run7-task2-2", "run7-task2-3"]
    for _ in parts:
        recorder.answer(json=queued())
    for part in parts:
        adapter.submit(part)
    assert [sent_json(sent)["n"] for sent in recorder.requests] == [1, 1, 1]


def test_it_refuses_to_submit_an_unsplit_nanobanana_request_for_several_images(recorder):
    with pytest.raises(ValueError, match="split"):
        make_adapter(recorder).submit(SubmitRequest(T2I, "NanoBanana", {"prompt": "p", "n": 2}))
    assert recorder.requests == []


def test_it_asks_gpt_image_2_for_several_images_in_one_task(recorder):
    adapter = make_adapter(recorder)
    request = adapter.validate(SubmitRequest(T2I, "gpt-image-2", {"prompt": "p", "size": "1024x1024", "n": 4}))
    assert adapter.split(request) == [request]
    assert adapter.output_count(request) == 4
    recorder.answer(json=queued())
    adapter.submit(request)
    assert sent_json(recorder.last)["n"] == 4


@pytest.mark.parametrize(
    ("size", "quality", "tier", "points"),
    [("1024x768", "low", "1K", 5), ("1920x1080", "medium", "2K", 30), ("2048x2048", "high", "4K", 200)],
)
def test_it_prices_gpt_image_2_by_size_tier_and_quality(recorder, size, quality, tier, points):
    adapter = make_adapter(recorder)
    request = adapter.validate(SubmitRequest(T2I, "gpt-image-2", {"prompt": "p", "size": size, "quality": quality}))
    inputs = adapter.price_inputs(request)
    assert inputs["size_tier"] == tier
    entry = next(entry for entry in CATALOGUE if entry.model == "gpt-image-2")
    assert entry.price_by == ("size_tier", "quality")
    price = points_per_output(
        points=entry.points, price_by=entry.price_by, price_table=entry.price_table, price_inputs=inputs
    )
    assert price == points


def test_it_knows_the_tier_of_all_48_documented_sizes():
    assert len(GPT_SIZE_TIERS) == 48
    assert GPT_SIZE_TIERS["2016x864"] == "1K" and GPT_SIZE_TIERS["2560x2048"] == "2K"
    assert GPT_SIZE_TIERS["2048x2048"] == "4K" and GPT_SIZE_TIERS["3840x1648"] == "4K"


def test_its_catalogue_offers_both_operations_for_every_model_with_prices_rising_by_tier():
    offered = {(entry.operation, entry.model) for entry in CATALOGUE}
    assert offered == {(operation, model) for operation in (T2I, I2I) for model in MODELS}
    price = {entry.model: entry.points for entry in CATALOGUE}
    assert price["NanoBanana2-0.5K"] < price["NanoBanana2-1K"] < price["NanoBanana2-2K"] < price["NanoBanana2-4K"]
    tiers = ("1K", "2K", "4K", "8K")
    assert [price[f"NanoBananaPro-{tier}"] for tier in tiers] == sorted(
        price[f"NanoBananaPro-{tier}"] for tier in tiers
    )
    assert all(str(entry.label) for entry in CATALOGUE)
