"""hdredraw: HD redraw/upscale and nine image tools, as in the vendor document seeds/002_ab2ed2c4a78d8f62.txt.

Every call is a multipart/form-data POST carrying the secret as the form field `user_key`; submits upload the
image file as `input_image` (16 MB at most). A submit answers a `task_id`; `/api/check_task_status` answers
its status and, once "Completed", the result URLs and what is left on the account.

Assumptions where the document is silent or contradicts itself (see also the README's vendor notes):
- `check_task_status` is sent as multipart, as its table says (its sample sends a urlencoded form).
- Booleans are sent as `true`/`false`, numbers as Python writes them (what the document's httpx sample sends).
- Status casing varies ("Completed", "COMPLETED"): compared case-insensitively. "Failed" or no status at all
  is a failed task (the sample stops on `None`); every other value is still running.
- `images_urls`, when present, is the full list of results (its first is `images_url`). The extra images are
  real outputs (extract pattern gives 1–2 prints), so they are `FileKind.IMAGE`; the vendor charges one task
  for them, so `output_count()` stays 1. `images_url_1m` (the 1× seamless tile) is `FileKind.ALTERNATIVE`.
  Empty strings ("vector_url": "") mean absent.
- Errors: the document's shape is HTTP 200 with `err_code` 1 and an `err_msg` (no code of its own); an error
  HTTP status, with or without that body, is read too, on every endpoint (the ten submits and the status check).
  The err_msg decides first: 账户不存在 → bad credentials; 次数不足/余额不足 → insufficient balance; 文件大小不能超过,
  参数错误 → invalid parameters; then trouble inside the vendor (系统繁忙, 服务器内部错误, 系统异常, internal,
  timeout…) → transient, a busy or full queue (队列已满, 频繁) → rate limited; then "任务提交失败:{err_msg}",
  which wraps whatever broke inside the vendor → transient (the worker retries a poll a bounded number of times;
  a submit answered so is an unknown outcome, since the vendor may have started the job). Without a known
  err_msg the HTTP status decides (401/403, 402, 400/413/422, 429, 408/5xx, other → permanent). An answer that
  is not JSON or has another err_code is transient.
- "任务未找到或状态未知" on a status check is transient: the vendor may not see a just-submitted task for a
  moment (its status answer is cached 3 s); the worker's own deadline ends a task that never appears.
- Any other err_msg with err_code 1 is permanent (the vendor refused and said why).
- Inputs are uploaded, never fetched by the vendor, so no error means "could not download our input" here.
- The AI edit's `model_version` (v1/v2) is a parameter of one offering, not two models.
- `sdxl_model_dropdown`/`style_dropdown` have only one documented value each ("通用模型", "通用风格"), so they
  are free text with those defaults; `extract_pattern`'s `aspect_ratio` offers the documented ratios and their
  portrait counterparts.
- There is no balance endpoint: `remaining_count`/`remaining_money` of each answer become `TaskState.balance`.
  The connection check asks the status of a task id that cannot exist: "任务未找到" proves the key is accepted.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from studio.vendors.base import (
    CONNECTION_CHECK_TASK_ID,
    Adapter,
    Balance,
    ErrorClass,
    FileKind,
    InputImage,
    InputSpec,
    InvalidParameters,
    LostTaskRecovery,
    NotSupported,
    ResultFile,
    Status,
    SubmitRequest,
    TaskState,
    VendorError,
)
from studio.vendors.catalogue import CatalogueEntry
from studio.vendors.errors import is_not_found, trouble_class
from studio.vendors.http import VendorResponse
from studio.vendors.operations import Operation
from studio.vendors.params import Param

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 16 * 1024 * 1024
STATUS_PATH = "/api/check_task_status"
_EXPAND_SIDES = ("expand_top", "expand_bottom", "expand_left", "expand_right")

SUBMIT_PATHS = {
    Operation.UPSCALE: "/api/submit_task",
    Operation.VECTORIZE: "/api/submit_vector_task",
    Operation.FACE_ENHANCE: "/api/submit_face_enhance_task",
    Operation.SEAMLESS_TILE: "/api/submit_seamless_task",
    Operation.REMOVE_FABRIC: "/api/submit_remove_fabric_task",
    Operation.AI_EDIT: "/api/submit_edit_image_task",
    Operation.EXTRACT_PATTERN: "/api/submit_extract_pattern_task",
    Operation.REMOVE_RHINESTONES: "/api/submit_remove_diamonds_task",
    Operation.EXPAND: "/api/submit_expand_image_task",
    Operation.REMOVE_WATERMARK: "/api/submit_remove_watermark_task",
}

# The vendor's err_msg texts, first match wins (so "任务提交失败:参数错误…" is a parameter error).
MESSAGE_CLASSES = (
    ("账户不存在", ErrorClass.BAD_CREDENTIALS),
    ("次数不足", ErrorClass.INSUFFICIENT_BALANCE),
    ("余额不足", ErrorClass.INSUFFICIENT_BALANCE),
    ("文件大小不能超过", ErrorClass.INVALID_PARAMETERS),
    ("参数错误", ErrorClass.INVALID_PARAMETERS),
)
# Wrappers of whatever broke inside the vendor, read after the words they wrap ("任务提交失败:队列已满").
TRANSIENT_MESSAGES = ("任务未找到或状态未知", "任务提交失败")

RUNNING_STATUSES = {"pending", "queued", "waiting", "processing", "running", "in_progress", "started"}


def _expand_params() -> list[Param]:
    labels = (_("Expand top"), _("Expand bottom"), _("Expand left"), _("Expand right"))
    help_text = _("Share of the image's side added on that side (0.2 adds 20 percent).")
    return [
        Param(name, "float", label, default=0.0, min=0.0, max=0.3, help=help_text)
        for name, label in zip(_EXPAND_SIDES, labels, strict=True)
    ]


def _vector_colours() -> Param:
    return Param("color_count", "int", _("Vector colours"), default=5, min=2, max=16)


PARAMETERS: dict[Operation, list[Param]] = {
    Operation.UPSCALE: [
        Param("sdxl_model_dropdown", "text", _("SDXL model"), default="通用模型", max_length=100),
        Param("style_dropdown", "text", _("Style"), default="通用风格", max_length=100),
        Param("upscale", "float", _("Upscale factor"), default=2.0, min=1, max=8),
        Param("s_noise", "float", _("Noise strength"), default=1.003, min=1, max=1.1),
        Param("steps", "int", _("Sampling steps"), default=30, min=20, max=40, help=_("More is slower.")),
        Param("high_fidelity", "bool", _("High fidelity"), default=False),
        Param("strong_inpaint", "bool", _("Strong repair"), default=False),
        Param("strong_inpaint_intensity", "float", _("Strong repair intensity"), default=0.5, min=0, max=1),
        Param("prompt", "text", _("Prompt"), default=""),
        Param("neg_prompt", "text", _("Negative prompt"), default=""),
        Param("vector_switch", "bool", _("Also make a vector (EPS)"), default=False),
        _vector_colours(),
        Param("auto_generate_prompt", "bool", _("Generate the prompt automatically"), default=False),
    ],
    Operation.VECTORIZE: [_vector_colours()],
    Operation.FACE_ENHANCE: [],
    Operation.SEAMLESS_TILE: [
        Param(
            "fit",
            "float",
            _("Seam blending"),
            default=0.5,
            min=0.1,
            max=0.9,
            help=_("Higher blends the seams more smoothly but may lose detail."),
        ),
        Param(
            "direction",
            "choice",
            _("Seamless direction"),
            default=0,
            choices=(0, 1, 2),
            help=_("0 = all sides, 1 = top and bottom only, 2 = left and right only."),
        ),
        *_expand_params(),
    ],
    Operation.REMOVE_FABRIC: [],
    Operation.AI_EDIT: [
        Param("prompt", "text", _("Edit instruction"), required=True),
        Param("model_version", "choice", _("Model version"), default="v1", choices=("v1", "v2")),
    ],
    Operation.EXTRACT_PATTERN: [
        Param(
            "aspect_ratio",
            "choice",
            _("Aspect ratio"),
            default="1:1",
            choices=("1:1", "4:3", "3:4", "16:9", "9:16"),
        ),
    ],
    Operation.REMOVE_RHINESTONES: [],
    Operation.EXPAND: [*_expand_params(), Param("prompt", "text", _("Prompt for the new margins"), default="")],
    Operation.REMOVE_WATERMARK: [],
}

CATALOGUE = [
    CatalogueEntry(Operation.UPSCALE, "", _("HD redraw / upscale"), points=30),
    CatalogueEntry(Operation.VECTORIZE, "", _("Vectorize (EPS)"), points=10),
    CatalogueEntry(Operation.FACE_ENHANCE, "", _("Face enhance"), points=10),
    CatalogueEntry(Operation.SEAMLESS_TILE, "", _("Seamless tile"), points=20),
    CatalogueEntry(Operation.REMOVE_FABRIC, "", _("Remove fabric texture"), points=15),
    CatalogueEntry(Operation.AI_EDIT, "", _("AI edit"), points=20),
    CatalogueEntry(Operation.EXTRACT_PATTERN, "", _("Extract print pattern"), points=25),
    CatalogueEntry(Operation.REMOVE_RHINESTONES, "", _("Remove rhinestones"), points=15),
    CatalogueEntry(Operation.EXPAND, "", _("Expand (outpaint)"), points=20),
    CatalogueEntry(Operation.REMOVE_WATERMARK, "", _("Remove watermark"), points=10),
]


class HdRedrawAdapter(Adapter):
    kind = "hdredraw"
    default_poll_interval = 3.0  # the vendor caches each status answer for 3 s
    prompt_max_length = 1000  # a Stable Diffusion pipeline: its text encoder reads far less than this anyway
    credential_fields = ("user_key",)
    # No idempotency key and no task list: a lost submit stops as uncertain. Every answer's remaining_count
    # is kept, so the vendor check can tell whether a lost call used up a package run.
    lost_task_recovery = LostTaskRecovery.NONE

    # What can be asked -------------------------------------------------------------------------

    def parameters(self, operation: Operation, model: str) -> list[Param]:
        return list(PARAMETERS[_supported(operation)])

    def input_specs(self, operation: Operation, model: str) -> list[InputSpec]:
        _supported(operation)
        return [InputSpec("product", 1, 1, label=_("Image"))]

    def check_rules(self, request: SubmitRequest) -> None:
        errors: dict[str, str] = {}
        if request.operation == Operation.EXPAND and not any(request.params.get(name) for name in _EXPAND_SIDES):
            errors["expand_top"] = gettext("Choose at least one side to expand, by 0 to 0.3 of the image.")
        for image in request.inputs:
            if image.open is not None and (size := _size_of(image)) > MAX_UPLOAD_BYTES:
                errors[image.role] = _too_large_message(image, size)
        if errors:
            raise InvalidParameters(errors)

    # Calls -------------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest) -> TaskState:
        path = SUBMIT_PATHS[_supported(request.operation)]
        image = request.inputs_with_role("product")[0]
        content = _read_upload(image)
        fields = {"user_key": self.credentials.get("user_key", "")}
        fields.update({name: _form_value(value) for name, value in request.params.items()})
        answer = self._call(path, fields, files={"input_image": (image.name, content, image.content_type)})
        task_id = answer.get("task_id")
        if not task_id:
            raise VendorError(ErrorClass.TRANSIENT, "the vendor accepted the task but sent no task_id")
        return TaskState(Status.QUEUED, vendor_task_id=str(task_id), balance=_balance(answer), raw=answer)

    def poll(self, vendor_task_id: str, *, submitted: dict | None = None) -> TaskState:
        answer = self._call(STATUS_PATH, {"user_key": self.credentials.get("user_key", ""), "task_id": vendor_task_id})
        return _task_state(vendor_task_id, answer)

    def check_connection(self) -> str:
        fields = {"user_key": self.credentials.get("user_key", ""), "task_id": CONNECTION_CHECK_TASK_ID}
        try:
            self._call(STATUS_PATH, fields)
        except VendorError as error:
            if not is_not_found(error):  # "任务未找到或状态未知"; "账户不存在" is a wrong key
                raise
        return gettext("hdredraw accepted the user key.")

    def _call(self, path: str, fields: dict[str, str], files: dict[str, tuple] | None = None) -> dict[str, Any]:
        """One multipart POST; returns the body of an err_code 0 answer, raises VendorError otherwise."""
        # Plain fields as (None, value) parts keep the body multipart even without a file.
        parts: dict[str, tuple] = {name: (None, value) for name, value in fields.items()}
        parts.update(files or {})
        response = self.http.request("POST", f"{self.base_url}{path}", files=parts)
        if response.status != 200:
            raise _http_error(response, self.http.redact)
        answer = response.json()
        if not isinstance(answer, dict) or answer.get("err_code") not in (0, 1):
            snippet = self.http.redact(response.summary)
            raise VendorError(
                ErrorClass.TRANSIENT, f"unexpected answer from the vendor: {snippet!r}", http_status=response.status
            )
        if answer["err_code"] == 1:
            message = self.http.redact(str(answer.get("err_msg") or "err_code 1 without err_msg"))
            error_class = _class_of_message(message) or ErrorClass.PERMANENT
            raise VendorError(error_class, message, code=1, http_status=response.status)
        return answer


ADAPTER = HdRedrawAdapter


def _supported(operation: Operation) -> Operation:
    if operation not in SUBMIT_PATHS:
        raise NotSupported(f"hdredraw cannot do {operation}")
    return Operation(operation)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _too_large_message(image: InputImage, size: int) -> str:
    return gettext("“%(name)s” is %(size)s; hdredraw accepts 16 MB at most. Pick a smaller image.") % {
        "name": image.name, "size": filesizeformat(size)}  # fmt: skip


def _size_of(image: InputImage) -> int:
    with image.open() as stream:
        return stream.seek(0, io.SEEK_END)


def _read_upload(image: InputImage) -> bytes:
    if image.open is None:
        raise VendorError(ErrorClass.PERMANENT, "hdredraw needs the image file itself, not only its URL")
    with image.open() as stream:
        content = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidParameters({image.role: _too_large_message(image, _size_of(image))})
    return content


def _class_of_message(message: str) -> ErrorClass | None:
    """The documented messages, then trouble inside the vendor (系统繁忙, 服务器内部错误…), then the wrappers."""
    for fragment, error_class in MESSAGE_CLASSES:
        if fragment in message:
            return error_class
    trouble = trouble_class(None, message)
    if trouble is not None:
        return trouble
    if any(fragment in message for fragment in TRANSIENT_MESSAGES):
        return ErrorClass.TRANSIENT
    return None


def _class_of_http_status(status: int) -> ErrorClass:
    if status in (401, 403):
        return ErrorClass.BAD_CREDENTIALS
    if status == 402:
        return ErrorClass.INSUFFICIENT_BALANCE
    if status in (400, 413, 422):
        return ErrorClass.INVALID_PARAMETERS
    if status == 429:
        return ErrorClass.RATE_LIMITED
    if status == 408 or status >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.PERMANENT


def _http_error(response: VendorResponse, redact: Callable[[str], str]) -> VendorError:
    """A non-200 answer: the vendor's own err_msg decides when it is one we know, else the HTTP status."""
    try:
        body = response.json()
    except VendorError:
        body = None
    message = str(body["err_msg"]) if isinstance(body, dict) and body.get("err_msg") else ""
    error_class = _class_of_message(message) or _class_of_http_status(response.status)
    message = redact(message or f"HTTP {response.status}: {response.summary}")
    return VendorError(error_class, message, http_status=response.status)


def _balance(answer: dict[str, Any]) -> Balance | None:
    if answer.get("remaining_count") is None and answer.get("remaining_money") is None:
        return None
    return Balance(remaining_count=answer.get("remaining_count"), remaining_money=answer.get("remaining_money"))


def _status_of(vendor_task_id: str, value: Any) -> Status:
    if value is None:
        return Status.FAILED
    word = str(value).strip().lower()
    if word == "completed":
        return Status.SUCCEEDED
    if word == "failed":
        return Status.FAILED
    if word not in RUNNING_STATUSES:
        logger.warning("hdredraw task %s: unknown status %r, taken as running", vendor_task_id, value)
    return Status.RUNNING


def _task_state(vendor_task_id: str, answer: dict[str, Any]) -> TaskState:
    status = _status_of(vendor_task_id, answer.get("status"))
    state = TaskState(status, vendor_task_id=vendor_task_id, balance=_balance(answer), raw=answer)
    if status == Status.FAILED:
        reason = answer.get("err_msg") or f"hdredraw reported the task as {answer.get('status')!r}"
        state.error = VendorError(ErrorClass.PERMANENT, str(reason))
    elif status == Status.SUCCEEDED:
        state.files = _result_files(answer)
        if answer.get("generated_prompt"):
            state.details["generated_prompt"] = answer["generated_prompt"]
        if not any(file.kind == FileKind.IMAGE for file in state.files):
            state.status = Status.FAILED
            state.error = VendorError(ErrorClass.PERMANENT, "hdredraw reported the task completed without an image")
    return state


def _result_files(answer: dict[str, Any]) -> list[ResultFile]:
    images = [url for url in answer.get("images_urls") or [] if url] or [answer.get("images_url")]
    files = [ResultFile(url, FileKind.IMAGE) for url in images if url]
    for field_name, kind in (
        ("vector_url", FileKind.VECTOR),
        ("grid_url", FileKind.GRID),
        ("images_url_1m", FileKind.ALTERNATIVE),
    ):
        if answer.get(field_name):
            files.append(ResultFile(answer[field_name], kind))
    return files
