"""imagetasks: the generic asynchronous image task API (seeds/001, "通用异步图像生成", 2026-04-29).

Two endpoints, both authorised with `Authorization: Bearer sk-…`:
- `POST /v1/images/tasks` submits text→image or image→image for the NanoBanana family and gpt-image-2. It answers
  a BARE task object `{task_id, status, progress, result_url, metadata, error}` that may already be `succeeded`.
- `GET /v1/images/tasks/{task_id}` answers the same task object inside `{code: "success", message, data}`.

Assumptions where the document is silent or contradicts itself (see also the README's vendor notes):
- NanoBanana models: §3 says `n` is not supported, §4.3 says it is optional. We always send `n=1` and `split()` a
  request for several images into one task per image. gpt-image-2 takes `n` 1–8 in one task.
- Inputs go as URLs in JSON: `image` for one reference, `images` for several (never both). With the account
  option `upload_files` a single reference is uploaded instead as the multipart file field `image` (§5.3); the
  document names no multipart field for several files, so several references always go as JSON `images`.
- At most 8 references per image→image task (the document gives no limit).
- Errors are not documented. The platform is a new-api style gateway, so an error may be an HTTP status, an
  OpenAI-style `{"error": {"message", "type", "code"}}`, an envelope `{"code", "message"}` with a code other than
  "success", or a plain text body; every shape is read, at any HTTP status, on submit and on query. A number
  code is read like an HTTP status (`{"code": 401}` at HTTP 200 is a refused key). In this order: quota
  codes/words or 402 → insufficient balance (such gateways answer 403 or 429 for an empty balance); 401/403 or
  key words → bad credentials; 429 or rate words → rate limited; trouble inside the gateway (internal_error,
  upstream, timeout, unavailable, a 5xx code, 系统繁忙/服务器内部错误/系统异常) → transient, and busy or
  queue-full codes → rate limited; 400/422 → invalid parameters; other 5xx → transient; parameter words at
  HTTP 200 → invalid parameters; anything else (404, content refused) → permanent. An answer with neither a
  task nor an error ("success" without data) is transient. The document names no input-download error; the
  words the other vendors use (下载失败, failed to download…) make a transient refusal: no task was made. On
  submit a transient answer is an unknown outcome: such a gateway keeps running and billing a task after
  answering `internal_error` at HTTP 200, so it is never sent again blindly.
- The connection check queries a task id that cannot exist: 404, not_found/task_not_exist or "任务不存在"
  means the key works.
- A failed task's `error` may be a string or an object; it becomes a FAILED state, never retried, whatever its
  words.
- `progress` comes as a percentage string ("50%"). Several results come in `metadata.result_urls`, the first one
  also in `result_url`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.vendors.base import (
    Adapter,
    ErrorClass,
    FileKind,
    InputImage,
    InputSpec,
    InvalidParameters,
    LostTaskRecovery,
    ResultFile,
    Status,
    SubmitRequest,
    TaskState,
    VendorError,
)
from studio.vendors.catalogue import CatalogueEntry
from studio.vendors.errors import trouble_class, unreachable_input_error
from studio.vendors.operations import Operation
from studio.vendors.params import Param

logger = logging.getLogger(__name__)
Redact = Callable[[str], str]

GPT_IMAGE_2 = "gpt-image-2"
NANO_BANANA = "NanoBanana"
NANO_PRICES = {  # default points per image, rising with the tier (the vendor prices each model in its back office)
    "NanoBanana": 8,
    "NanoBanana2-0.5K": 5,
    "NanoBanana2-1K": 8,
    "NanoBanana2-2K": 12,
    "NanoBanana2-4K": 20,
    "NanoBananaPro-1K": 15,
    "NanoBananaPro-2K": 20,
    "NanoBananaPro-4K": 30,
    "NanoBananaPro-8K": 50,
}
NANO_MODELS = tuple(NANO_PRICES)
MODELS = (*NANO_MODELS, GPT_IMAGE_2)

ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
QUALITIES = ("low", "medium", "high")
ALL_FORMATS = ("png", "jpeg", "webp")
PNG_JPEG = ("png", "jpeg")
MAX_REFERENCES = 8
MAX_N = 8

# §5.5: every size gpt-image-2 accepts, with its 备注档位 (the tier its price depends on).
GPT_SIZE_TIERS = {
    "1024x768": "1K", "768x1024": "1K", "1344x1024": "1K", "1024x1344": "1K", "1280x1024": "1K",
    "1024x1280": "1K", "1360x768": "1K", "768x1360": "1K", "1536x864": "1K", "864x1536": "1K",
    "1024x1024": "1K", "1536x1024": "1K", "1024x1536": "1K", "2048x1024": "1K", "1024x2048": "1K",
    "2016x864": "1K", "864x2016": "1K",
    "1920x1080": "2K", "1080x1920": "2K", "1536x1536": "2K", "2048x1360": "2K", "1360x2048": "2K",
    "2048x1536": "2K", "1536x2048": "2K", "2160x1440": "2K", "1440x2160": "2K", "2048x1152": "2K",
    "1152x2048": "2K", "2688x1344": "2K", "1344x2688": "2K", "2688x1152": "2K", "1152x2688": "2K",
    "2560x1440": "2K", "1440x2560": "2K", "2048x2048": "4K", "2560x2048": "2K", "2048x2560": "2K",
    "2880x2880": "4K", "3264x2448": "4K", "2448x3264": "4K", "3504x2336": "4K", "2336x3504": "4K",
    "3840x1920": "4K", "1920x3840": "4K", "3840x1648": "4K", "1648x3840": "4K", "3840x2160": "4K",
    "2160x3840": "4K",
}  # fmt: skip
GPT_SIZES = tuple(GPT_SIZE_TIERS)
GPT_SIZE_EXAMPLES = "1024x1024, 1536x1024, 1024x1536, 1920x1080, 2048x2048, 3840x2160"
GPT_PRICES = {  # points per image by size tier and quality
    "1K:low": 5, "1K:medium": 15, "1K:high": 50,
    "2K:low": 10, "2K:medium": 30, "2K:high": 100,
    "4K:low": 20, "4K:medium": 60, "4K:high": 200,
}  # fmt: skip

STATUSES = {
    "queued": Status.QUEUED,
    "processing": Status.RUNNING,
    "succeeded": Status.SUCCEEDED,
    "failed": Status.FAILED,
}
TASK_TYPES = {Operation.TEXT_TO_IMAGE: "text2image", Operation.IMAGE_TO_IMAGE: "image2image"}

QUOTA_WORDS = ("insufficient", "quota", "balance", "余额", "额度", "欠费", "credit")
AUTH_WORDS = ("invalid_api_key", "api key", "unauthorized", "无效的令牌", "未提供令牌", "令牌", "authentication")
RATE_WORDS = ("rate limit", "rate_limit", "too many", "频繁", "限流", "负载已饱和")
PARAM_WORDS = ("invalid_request", "invalid param", "参数", "not supported", "不支持", "required", "必填")


def is_nano(model: str) -> bool:
    return model in NANO_MODELS


def nano_formats(model: str) -> tuple[str, ...]:
    """§4.4: NanoBanana gives png/jpeg/webp; NanoBanana2-* and NanoBananaPro-* give png/jpeg only."""
    return ALL_FORMATS if model == NANO_BANANA else PNG_JPEG


class ImageTasksAdapter(Adapter):
    kind = "imagetasks"
    default_poll_interval = 3.0  # the document recommends 2–5 s
    prompt_max_length = 4000  # an OpenAI-style endpoint: long edit instructions are normal there
    credential_fields = ("api_key",)
    # No idempotency key and no task list in the document: a task whose answer was lost stops as uncertain.
    lost_task_recovery = LostTaskRecovery.NONE
    count_param = "n"

    # What can be asked -------------------------------------------------------------------------

    def parameters(self, operation: Operation, model: str) -> list[Param]:
        prompt = Param("prompt", "text", gettext_lazy("Prompt"), required=True)
        count = Param("n", "int", gettext_lazy("Number of images"), default=1, min=1, max=MAX_N)
        if model == GPT_IMAGE_2:
            return [
                prompt,
                Param("size", "choice", gettext_lazy("Size"), required=True, choices=GPT_SIZES),
                Param("quality", "choice", gettext_lazy("Quality"), default="medium", choices=QUALITIES),
                Param("output_format", "choice", gettext_lazy("File format"), default="png", choices=ALL_FORMATS),
                count,
            ]
        # Text→image needs a shape; image→image keeps the reference's own unless one is chosen.
        ratio_default = "1:1" if operation == Operation.TEXT_TO_IMAGE else None
        return [
            prompt,
            Param("aspect_ratio", "choice", gettext_lazy("Aspect ratio"), default=ratio_default, choices=ASPECT_RATIOS),
            Param("output_format", "choice", gettext_lazy("File format"), default="png", choices=nano_formats(model)),
            count,
        ]

    def input_specs(self, operation: Operation, model: str) -> list[InputSpec]:
        if operation == Operation.IMAGE_TO_IMAGE:
            return [InputSpec("reference", 1, MAX_REFERENCES, gettext_lazy("Reference images"))]
        return [InputSpec("reference", 0, 0, gettext_lazy("Reference images"))]

    def validate(self, request: SubmitRequest) -> SubmitRequest:
        """The base checks, with messages that say what gpt-image-2 and the NanoBanana models want instead."""
        if request.model not in MODELS:
            raise InvalidParameters({"model": _("Unknown model %(model)s.") % {"model": request.model}})
        if request.operation not in TASK_TYPES:
            raise InvalidParameters({"operation": _("imagetasks does text to image and image to image only.")})
        try:
            return super().validate(request)
        except InvalidParameters as invalid:
            raise InvalidParameters(self._clearer(request, invalid.field_errors)) from None

    def check_rules(self, request: SubmitRequest) -> None:
        others = sorted({image.role for image in request.inputs if image.role != "reference"})
        if others:
            raise InvalidParameters(
                {"inputs": _("imagetasks takes reference images only, not: %(roles)s.") % {"roles": ", ".join(others)}}
            )

    def _clearer(self, request: SubmitRequest, errors: dict[str, str]) -> dict[str, str]:
        errors = dict(errors)
        if request.model == GPT_IMAGE_2:
            if "size" in errors:
                errors["size"] = _("gpt-image-2 needs one of its listed sizes, e.g. %(examples)s.") % {
                    "examples": GPT_SIZE_EXAMPLES
                }
            if "aspect_ratio" in errors:
                errors["aspect_ratio"] = _("gpt-image-2 does not take an aspect ratio; choose a size instead.")
        elif "output_format" in errors:
            errors["output_format"] = _("%(model)s gives only these formats: %(formats)s.") % {
                "model": request.model,
                "formats": ", ".join(nano_formats(request.model)),
            }
        if is_nano(request.model) and "size" in errors:
            errors["size"] = _("NanoBanana models take an aspect ratio, not a size.")
        return errors

    def price_inputs(self, request: SubmitRequest) -> dict[str, Any]:
        inputs = dict(request.params)
        if request.model == GPT_IMAGE_2 and request.params.get("size") in GPT_SIZE_TIERS:
            inputs["size_tier"] = GPT_SIZE_TIERS[request.params["size"]]
        return inputs

    def output_count(self, request: SubmitRequest) -> int:
        return int(request.params.get("n") or 1)

    def split(self, request: SubmitRequest) -> list[SubmitRequest]:
        """NanoBanana makes one image per task: n images become n tasks of n=1."""
        count = self.output_count(request)
        if not is_nano(request.model) or count <= 1:
            return [request]
        return [
            SubmitRequest(
                request.operation,
                request.model,
                {**request.params, "n": 1},
                request.inputs,
                f"{request.idempotency_key}-{index}" if request.idempotency_key else "",
            )
            for index in range(1, count + 1)
        ]

    # Calls -------------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest) -> TaskState:
        request = self.validate(request)
        if is_nano(request.model) and self.output_count(request) > 1:
            raise ValueError("split() a NanoBanana request into one task per image before submitting it")
        url = f"{self.base_url}/v1/images/tasks"
        references = request.inputs_with_role("reference")
        if self.options.get("upload_files") and len(references) == 1:
            fields, files = self.multipart_form(request, references[0])
            response = self.http.request("POST", url, headers=self._auth(), data=fields, files=files)
        else:
            response = self.http.request("POST", url, headers=self._auth(), json=self.json_body(request))
        return self._task_state(_submitted_task(response, self.http.redact))

    def poll(self, vendor_task_id: str, *, submitted: dict | None = None) -> TaskState:
        url = f"{self.base_url}/v1/images/tasks/{quote(vendor_task_id, safe='')}"
        response = self.http.request("GET", url, headers=self._auth())
        return self._task_state(_queried_task(response, self.http.redact))

    # Requests ----------------------------------------------------------------------------------

    def json_body(self, request: SubmitRequest) -> dict[str, Any]:
        body = self._common_fields(request)
        urls = [image.url for image in request.inputs_with_role("reference")]
        if len(urls) == 1:
            body["image"] = urls[0]
        elif urls:
            body["images"] = urls
        return {**body, **self._model_fields(request)}

    def multipart_form(self, request: SubmitRequest, reference: InputImage) -> tuple[dict[str, str], dict]:
        if reference.open is None:
            raise ValueError("upload_files needs inputs that can be opened")
        with reference.open() as handle:
            content = handle.read()
        fields = {**self._common_fields(request), **self._model_fields(request)}
        return {name: str(value) for name, value in fields.items()}, {
            "image": (reference.name, content, reference.content_type)
        }

    def _common_fields(self, request: SubmitRequest) -> dict[str, Any]:
        return {"model": request.model, "task_type": TASK_TYPES[request.operation], "prompt": request.params["prompt"]}

    def _model_fields(self, request: SubmitRequest) -> dict[str, Any]:
        params = request.params
        if request.model == GPT_IMAGE_2:
            fields = {"size": params["size"], "quality": params.get("quality", "medium")}
        else:
            fields = {"aspect_ratio": params["aspect_ratio"]} if params.get("aspect_ratio") else {}
        n = int(params.get("n") or 1) if request.model == GPT_IMAGE_2 else 1
        return {**fields, "output_format": params.get("output_format", "png"), "n": n, "response_format": "url"}

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.get('api_key', '')}"}

    # Answers -----------------------------------------------------------------------------------

    def _task_state(self, task: dict[str, Any]) -> TaskState:
        status = _status(task.get("status"))
        metadata = task.get("metadata") or {}
        state = TaskState(
            status=status,
            vendor_task_id=str(task.get("task_id") or ""),
            progress=_percent(task.get("progress")),
            details={name: metadata[name] for name in ("task_type", "result_count") if name in metadata},
            raw=task,
        )
        if status == Status.SUCCEEDED:
            state.files = [ResultFile(url, FileKind.IMAGE) for url in _result_urls(task)]
        if status == Status.FAILED:
            state.error = _task_error(task.get("error"), self.http.redact)
        return state


def _submitted_task(response, redact: Redact) -> dict[str, Any]:
    """Submit answers the bare task object (§6)."""
    body = _body_or_error(response, redact)
    if isinstance(body, dict) and body.get("task_id"):
        return body
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and body["data"].get("task_id"):
        return body["data"]  # tolerated: the query's envelope
    raise _error_from_body(body, response.status, redact)


def _queried_task(response, redact: Redact) -> dict[str, Any]:
    """Query answers `{code: "success", message, data: task}` (§7)."""
    body = _body_or_error(response, redact)
    if isinstance(body, dict) and str(body.get("code", "")).lower() == "success" and isinstance(body.get("data"), dict):
        return body["data"]
    raise _error_from_body(body, response.status, redact)


def _body_or_error(response, redact: Redact) -> Any:
    if response.status >= 400:
        try:
            body = response.json()
        except VendorError:
            body = response.summary
        raise _error_from_body(body, response.status, redact)
    return response.json()


def _error_from_body(body: Any, http_status: int, redact: Redact) -> VendorError:
    code, message = _code_and_message(body)
    message = redact(message)
    if http_status < 400 and (not (code or message) or str(code).lower() == "success"):
        # Neither the task nor an error (a "success" without data): a broken answer, the task may exist.
        return VendorError(
            ErrorClass.TRANSIENT,
            f"the vendor's answer holds no task ({message or 'no message'})",
            code=code,
            http_status=http_status,
        )
    message = message or f"HTTP {http_status} without an explanation"
    return unreachable_input_error(message, code=code, http_status=http_status) or VendorError(
        classify(code, message, http_status), message, code=code, http_status=http_status
    )


def _code_and_message(body: Any) -> tuple[str | None, str]:
    """The error's code and words from any of the shapes a new-api style gateway answers."""
    if isinstance(body, str):
        return None, body.strip()
    if not isinstance(body, dict):
        return None, ""
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        return (str(code) if code else None), str(error.get("message") or "")
    if isinstance(error, str) and error:
        return (str(body["code"]) if body.get("code") else None), error
    code = body.get("code")
    return (str(code) if code not in (None, "") else None), str(body.get("message") or body.get("msg") or "")


def classify(code: str | None, message: str, http_status: int | None) -> ErrorClass:
    """Undocumented errors, in the HTTP status or a body code read like one (HTTP 200 `{"code": 401}`).

    Quota words win, then the key, rate limits, trouble inside the gateway (internal_error, 系统繁忙…), then the
    number; an error nobody recognises at HTTP 200 is the vendor refusing this task.
    """
    text = f"{code or ''} {message}".lower()
    numbers = {number for number in (http_status, _number(code)) if number is not None and number >= 400}
    if 402 in numbers or any(word in text for word in QUOTA_WORDS):
        return ErrorClass.INSUFFICIENT_BALANCE
    if numbers & {401, 403} or any(word in text for word in AUTH_WORDS):
        return ErrorClass.BAD_CREDENTIALS
    if 429 in numbers or any(word in text for word in RATE_WORDS):
        return ErrorClass.RATE_LIMITED
    trouble = trouble_class(code, message)
    if trouble is not None:
        return trouble
    if numbers & {400, 422}:
        return ErrorClass.INVALID_PARAMETERS
    if any(number >= 500 or number in (408, 409) for number in numbers):
        return ErrorClass.TRANSIENT
    if (http_status or 200) < 400 and any(word in text for word in PARAM_WORDS):
        return ErrorClass.INVALID_PARAMETERS
    return ErrorClass.PERMANENT  # 404 (no such task), other 4xx, HTTP 200 with an error


def _number(code: str | None) -> int | None:
    return int(code) if code is not None and str(code).isdigit() else None


def _task_error(error: Any, redact: Redact) -> VendorError:
    code, message = _code_and_message({"error": error} if error else {})
    message = redact(message) if message else _("The vendor reported the task as failed without a reason.")
    error_class = classify(code, message, None)
    if error_class.is_retryable:  # the task is over: the words of its failure do not make it retryable
        error_class = ErrorClass.PERMANENT
    return VendorError(error_class, message, code=code)


def _status(value: Any) -> Status:
    text = str(value or "").strip().lower()
    if text in STATUSES:
        return STATUSES[text]
    logger.warning("imagetasks: unknown task status %r, taken as running", value)
    return Status.RUNNING


def _percent(value: Any) -> int | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*%?\s*$", str(value)) if value is not None else None
    return int(float(match.group(1))) if match else None


def _result_urls(task: dict[str, Any]) -> list[str]:
    urls = (task.get("metadata") or {}).get("result_urls") or []
    if not urls and task.get("result_url"):
        urls = [task["result_url"]]
    return [str(url) for url in urls if url]


def _catalogue() -> list[CatalogueEntry]:
    entries = []
    for operation in (Operation.TEXT_TO_IMAGE, Operation.IMAGE_TO_IMAGE):
        for model, points in NANO_PRICES.items():
            entries.append(CatalogueEntry(operation, model, format_lazy("{} · {}", model, operation.label), points))
        entries.append(
            CatalogueEntry(
                operation,
                GPT_IMAGE_2,
                format_lazy("{} · {}", GPT_IMAGE_2, operation.label),
                GPT_PRICES["1K:medium"],
                price_by=("size_tier", "quality"),
                price_table=dict(GPT_PRICES),
            )
        )
    return entries


ADAPTER = ImageTasksAdapter
CATALOGUE = _catalogue()
