"""灵图 (lingtu): change a product's background on a canvas, AI fashion model, virtual try-on.

Implements the vendor document seeds/004_66e13161b930e2ec.txt ("效果合成接口对接（APP类）"):

- JSON everywhere. Submits: `POST /aigc/synthesis/change-background`, `/aigc/synthesis/model`,
  `/aigc/synthesis/dress`, each answering a job id; `POST /aigc/job/result {jobId}` →
  `{status, message, url, text, format}` with `url` comma-separated and valid for 12 hours;
  `POST /aigc/job/cancel {jobId, reason?}` → `{success, message}` (only while `waiting`);
  `GET /aigc/synthesis/change-background/bgs` → `{bgs}` and `GET /aigc/synthesis/model/faces` → `{faces}`.
- `requestId` is our task's idempotency key, random and unique across installs ("studio-" + a UUID, made when
  the run is created): the same id gives the same job ("相同的ID将返回相同的结果"), so a submit whose answer was
  lost is simply sent again, with the same body (the worker keeps the input URLs of the first send).
- Statuses waiting|executing|succeed|failed|Canceled, compared case-insensitively.

Assumptions where the document is silent:
- Signature (its scheme is in a document we do not have): credential fields `app_key` and `secret`; the
  account option `signer` picks "hmac" (default: `X-App-Key` + `X-Signature` = hex HMAC-SHA256(secret, raw
  body), an empty body for GET) or "sdk" (the unofficial SDK's `appId`, `timestamp` (seconds), `salt`, `sign`
  = SHA-256 hex of appId + uri + salt + timestamp + secret, uri being the endpoint path).
- Submit answers a bare job id, JSON-quoted or not (a long number), or an object holding `jobId`; an
  answer wrapped as `{code: 200|0, data: …}` is unwrapped on every endpoint.
- Errors come as `{"code": <int>, "message": "…"}`, with HTTP 200 or with an error status; both are read on
  every endpoint (submit, result, cancel, bgs, faces), and a code that is a string is kept as one. In this
  order: 429 → rate limited; a 5xx status or code → transient; the document's codes (401 / 签名校验失败 → bad
  credentials; 800000 剩余生成次数不足 → insufficient balance; 800001, 800003, 800004 → invalid parameters);
  the same meanings in words; 401/403 → bad credentials, 402 → insufficient balance; trouble inside the
  vendor under any other code (系统繁忙, 服务器内部错误, 系统异常, internal, timeout…) → transient, a busy or
  full queue → rate limited; 404 (unknown job) → permanent; other 4xx → invalid parameters; any other code
  at HTTP 200 → permanent. 800002 图片不能为空或无法访问 (or other words saying an input could not be
  fetched, below HTTP 500) is transient with outcome refused: our inputs are never empty, the vendor made no
  job, and the studio may only have been slow to serve the file, so the submit is sent again a few times.
- `background.url` is required even with a catalogue `bgId`: with the `bg_id` parameter alone, the URL is
  looked up in the background list at submit.
- Without a placement in the product input's options, the product is centred at 80 % of the canvas in its
  own proportions (this needs the file, so an input without `open()` must carry its placement).
- The transparent cut-out and the background's size are content requirements the API may not check:
  `warnings()` reports them and `submit()` puts them in `TaskState.details["warnings"]`; nothing is blocked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from studio.vendors.base import (
    Adapter,
    ErrorClass,
    FileKind,
    InputImage,
    InputSpec,
    InvalidParameters,
    LostTaskRecovery,
    NotSupported,
    Outcome,
    ResultFile,
    Status,
    SubmitRequest,
    TaskState,
    VendorError,
)
from studio.vendors.catalogue import CatalogueEntry
from studio.vendors.errors import trouble_class, unreachable_input_error
from studio.vendors.http import VendorResponse
from studio.vendors.operations import Operation
from studio.vendors.params import Param

logger = logging.getLogger(__name__)

SUBMIT_PATHS = {
    Operation.CHANGE_BACKGROUND: "/aigc/synthesis/change-background",
    Operation.AI_MODEL: "/aigc/synthesis/model",
    Operation.TRY_ON: "/aigc/synthesis/dress",
}
RESULT_PATH = "/aigc/job/result"
CANCEL_PATH = "/aigc/job/cancel"
BACKGROUNDS_PATH = "/aigc/synthesis/change-background/bgs"
FACES_PATH = "/aigc/synthesis/model/faces"

CANVAS_MIN, CANVAS_MAX = 400, 1280
NUM_CHOICES = (1, 2, 4)
GARMENT_TYPES = ("dresses", "upperBody", "lowerBody")
MAX_GARMENTS = 3
REQUEST_ID_MAX_LENGTH = 100
RESULT_LIFETIME_HOURS = 12
DEFAULT_PRODUCT_SHARE = 0.8  # of the canvas, when no placement is given

CATALOGUE = [
    CatalogueEntry(Operation.CHANGE_BACKGROUND, "", _("Lingtu: product on a new background"), points=20),
    CatalogueEntry(Operation.AI_MODEL, "", _("Lingtu: AI fashion model (new face)"), points=40),
    CatalogueEntry(Operation.TRY_ON, "", _("Lingtu: virtual try-on"), points=40),
]

STATUSES = {
    "waiting": Status.QUEUED,
    "executing": Status.RUNNING,
    "succeed": Status.SUCCEEDED,
    "failed": Status.FAILED,
    "canceled": Status.CANCELED,
}

INPUT_UNREACHABLE_CODE = 800002
ERROR_CODES = {
    401: ErrorClass.BAD_CREDENTIALS,  # 签名校验失败
    800000: ErrorClass.INSUFFICIENT_BALANCE,  # 剩余生成次数不足
    800001: ErrorClass.INVALID_PARAMETERS,  # 文本不能为空或长度过长
    800002: ErrorClass.TRANSIENT,  # 图片不能为空或无法访问: refused, sent again (see the module docstring)
    800003: ErrorClass.INVALID_PARAMETERS,  # 风格错误
    800004: ErrorClass.INVALID_PARAMETERS,  # 宽高比错误
}

# For codes outside the document's table: the same meanings in the vendor's words.
ERROR_WORDS = (
    ("签名", ErrorClass.BAD_CREDENTIALS),
    ("次数不足", ErrorClass.INSUFFICIENT_BALANCE),
    ("余额不足", ErrorClass.INSUFFICIENT_BALANCE),
    ("频繁", ErrorClass.RATE_LIMITED),
)

JOB_ID = re.compile(r"^[\w\-.:]{1,128}$")


# Signing: each scheme is one small function (app key, secret, path, exact body bytes) → headers ------------


def sign_hmac(app_key: str, secret: str, path: str, body: bytes) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-App-Key": app_key, "X-Signature": signature}


def sign_sdk(app_key: str, secret: str, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    salt = str(uuid.uuid4())
    sign = hashlib.sha256(f"{app_key}{path}{salt}{timestamp}{secret}".encode()).hexdigest()
    return {"appId": app_key, "timestamp": timestamp, "salt": salt, "sign": sign}


SIGNERS: dict[str, Callable[[str, str, str, bytes], dict[str, str]]] = {"hmac": sign_hmac, "sdk": sign_sdk}


# Catalogues -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    id: str
    category: str  # indoor | outdoor | simplicity
    image: str


@dataclass(frozen=True)
class Face:
    id: str
    gender: str  # "Male" | "female", as the document spells them
    skin: str  # yellow | white | black
    age: str  # adult | child
    preview: str


class LingtuAdapter(Adapter):
    kind = "lingtu"
    default_poll_interval = 3.0
    credential_fields = ("app_key", "secret")
    lost_task_recovery = LostTaskRecovery.RESEND  # requestId: "相同的ID将返回相同的结果"
    can_cancel = True  # while the job is still waiting
    catalogues = {"face_id": "faces", "bg_id": "backgrounds"}
    count_param = "num"

    # What can be asked -------------------------------------------------------------------------

    def parameters(self, operation: Operation, model: str) -> list[Param]:
        num = Param("num", "choice", label=_("Images per task"), default=1, choices=NUM_CHOICES, help=_("1, 2 or 4."))
        if operation == Operation.CHANGE_BACKGROUND:
            return [
                _canvas_param("width", _("Width (px)")),
                _canvas_param("height", _("Height (px)")),
                num,
                Param("product_smart_color", "bool", label=_("Match the product's colours to the scene"), default=True),
                Param("reference_strong", "bool", label=_("Follow the background closely"), default=True),
                Param(
                    "bg_id",
                    "text",
                    label=_("Background from Lingtu's list"),
                    help=_("Use instead of uploading a background image."),
                ),
            ]
        if operation == Operation.AI_MODEL:
            return [
                Param("face_id", "text", label=_("Model face"), required=True, help=_("From Lingtu's face list.")),
                num,
            ]
        if operation == Operation.TRY_ON:
            return [num]
        raise NotSupported(f"lingtu cannot do {operation}")

    def input_specs(self, operation: Operation, model: str) -> list[InputSpec]:
        if operation == Operation.CHANGE_BACKGROUND:
            return [
                InputSpec("product", 1, 1, label=_("Product cut-out (transparent background)")),
                InputSpec("background", 0, 1, label=_("Background image")),
                InputSpec("mask", 0, 1, label=_("Mask (white = area to ignore)")),
            ]
        if operation == Operation.AI_MODEL:
            return [
                InputSpec("model", 1, 1, label=_("Photo of a model wearing the clothes")),
                InputSpec("background", 0, 1, label=_("Background image")),
            ]
        if operation == Operation.TRY_ON:
            return [
                InputSpec("model", 1, 1, label=_("Model photo (front view)")),
                InputSpec("garment", 1, MAX_GARMENTS, label=_("Garments")),
            ]
        raise NotSupported(f"lingtu cannot do {operation}")

    def check_rules(self, request: SubmitRequest) -> None:
        errors: dict[str, str] = {}
        if request.operation == Operation.CHANGE_BACKGROUND:
            errors.update(_background_errors(request))
            try:
                placement_for(request.inputs_with_role("product")[0], _canvas(request))
            except InvalidParameters as invalid:
                errors.update(invalid.field_errors)
        if request.operation == Operation.TRY_ON:
            errors.update(_garment_errors(request.inputs_with_role("garment")))
        if errors:
            raise InvalidParameters(errors)

    def output_count(self, request: SubmitRequest) -> int:
        return int(request.params.get("num") or 1)

    def warnings(self, request: SubmitRequest) -> list[str]:
        """Content requirements the API may not check; the user is told, nothing is blocked."""
        if request.operation != Operation.CHANGE_BACKGROUND:
            return []
        found = []
        product = request.inputs_with_role("product")
        if product and _lacks_transparency(product[0]):
            found.append(
                gettext(
                    "The product image has no transparent background; Lingtu expects a cut-out of the product "
                    "alone, so the result may show the old background around it."
                )
            )
        canvas = _canvas(request)
        for image in request.inputs_with_role("background") + request.inputs_with_role("mask"):
            size = _image_size(image)
            if size and size != canvas:
                found.append(
                    gettext(
                        "The %(role)s is %(w)d×%(h)d but the canvas is %(cw)d×%(ch)d; Lingtu expects them to match."
                    )
                    % {"role": image.role, "w": size[0], "h": size[1], "cw": canvas[0], "ch": canvas[1]}
                )
        return found

    # Calls -------------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest) -> TaskState:
        request = self.validate(request)
        payload = self._payload(request)
        answer = self._call("POST", SUBMIT_PATHS[request.operation], payload)
        details: dict[str, Any] = {"request_id": payload["requestId"]}
        warnings = self.warnings(request)
        if warnings:
            details["warnings"] = warnings
        return TaskState(Status.QUEUED, vendor_task_id=job_id_from(answer), details=details, raw=answer)

    def poll(self, vendor_task_id: str, *, submitted: dict | None = None) -> TaskState:
        answer = self._call("POST", RESULT_PATH, {"jobId": vendor_task_id})
        if not isinstance(answer, dict) or "status" not in answer:
            raise VendorError(ErrorClass.TRANSIENT, "the job result answer has no status")
        return self._task_state(vendor_task_id, answer)

    def cancel(self, vendor_task_id: str, reason: str = "") -> bool:
        """True when Lingtu cancelled the job; it only can while the job is still waiting."""
        payload = {"jobId": vendor_task_id}
        if reason:
            payload["reason"] = reason
        answer = self._call("POST", CANCEL_PATH, payload)
        success = isinstance(answer, dict) and answer.get("success") in (True, "true")
        if not success:
            message = answer.get("message") if isinstance(answer, dict) else answer
            logger.info("lingtu did not cancel job %s: %s", vendor_task_id, self.http.redact(str(message)))
        return success

    def backgrounds(self) -> list[Background]:
        answer = self._call("GET", BACKGROUNDS_PATH)
        rows = answer.get("bgs") if isinstance(answer, dict) else None
        return [
            Background(str(row.get("id", "")), str(row.get("category", "")), str(row.get("image", "")))
            for row in rows or []
            if isinstance(row, dict)
        ]

    def faces(self) -> list[Face]:
        answer = self._call("GET", FACES_PATH)
        rows = answer.get("faces") if isinstance(answer, dict) else None
        return [
            Face(*(str(row.get(name, "")) for name in ("id", "gender", "skin", "age", "preview")))
            for row in rows or []
            if isinstance(row, dict)
        ]

    def check_connection(self) -> str:
        return gettext("Connected: %(n)d model faces available.") % {"n": len(self.faces())}

    # Request bodies ----------------------------------------------------------------------------

    def _payload(self, request: SubmitRequest) -> dict[str, Any]:
        params = request.params
        payload: dict[str, Any] = {"requestId": request_id_for(request.idempotency_key)}
        if request.operation == Operation.CHANGE_BACKGROUND:
            product = request.inputs_with_role("product")[0]
            payload["width"], payload["height"] = _canvas(request)
            payload["goods"] = {"url": product.url, **placement_for(product, _canvas(request))}
            payload["background"] = self._background_object(request)
            payload["productSmartColor"] = bool(params.get("product_smart_color", True))
            payload["referenceStrong"] = bool(params.get("reference_strong", True))
        elif request.operation == Operation.AI_MODEL:
            payload["model"] = request.inputs_with_role("model")[0].url
            payload["faceId"] = params["face_id"]
            for background in request.inputs_with_role("background"):
                payload["background"] = background.url
        else:
            payload["model"] = request.inputs_with_role("model")[0].url
            payload["dresses"] = [
                {"image": garment.url, "type": garment.options["type"]}
                for garment in request.inputs_with_role("garment")
            ]
        payload["num"] = int(params.get("num") or 1)
        return payload

    def _background_object(self, request: SubmitRequest) -> dict[str, str]:
        uploaded = request.inputs_with_role("background")
        if uploaded:
            background = {"url": uploaded[0].url}
        else:
            background = {"bgId": request.params["bg_id"], "url": self._catalogue_background_url(request)}
        for mask in request.inputs_with_role("mask"):
            background["mask"] = mask.url
        return background

    def _catalogue_background_url(self, request: SubmitRequest) -> str:
        bg_id = request.params["bg_id"]
        for background in self.backgrounds():
            if background.id == bg_id and background.image:
                return background.image
        raise InvalidParameters({"bg_id": _("Not in Lingtu's background list; pick one from the list.")})

    # Wire details ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """One signed call; returns the answer (unwrapped from `{code, data}` if so), or raises VendorError."""
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = self._sign(path, body)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        response = self.http.request(method, f"{self.base_url}{path}", content=body or None, headers=headers)
        answer = _decode(response)
        self._raise_for_error(response, answer)
        return _unwrap(answer)

    def _sign(self, path: str, body: bytes) -> dict[str, str]:
        name = self.options.get("signer", "hmac")
        signer = SIGNERS.get(name)
        if signer is None:
            raise VendorError(
                ErrorClass.BAD_CREDENTIALS, f"unknown lingtu signer {name!r} in the account options; use hmac or sdk"
            )
        return signer(self.credentials.get("app_key", ""), self.credentials.get("secret", ""), path, body)

    def _raise_for_error(self, response: VendorResponse, answer: Any) -> None:
        code, message = _error_fields(answer)
        if 200 <= response.status < 300 and _is_success_code(code):
            return
        if not message:
            message = response.summary if not isinstance(answer, dict) else ""
        message = self.http.redact(message or f"HTTP {response.status}")
        unreachable = code == INPUT_UNREACHABLE_CODE and response.status < 500
        raise unreachable_input_error(message, code=code, http_status=response.status) or VendorError(
            classify_error(response.status, code, message),
            message,
            code=code,
            http_status=response.status,
            outcome=Outcome.REFUSED if unreachable else None,
        )

    def _task_state(self, job_id: str, answer: dict[str, Any]) -> TaskState:
        status = _status(job_id, answer.get("status"))
        details = {name: answer[name] for name in ("text", "format") if answer.get(name)}
        state = TaskState(status, vendor_task_id=job_id, details=details, raw=answer)
        message = self.http.redact(str(answer.get("message") or ""))
        if status == Status.SUCCEEDED:
            state.files = [ResultFile(url, FileKind.IMAGE) for url in split_urls(answer.get("url"))]
            state.progress = 100
            state.details["expires_in_hours"] = RESULT_LIFETIME_HOURS
            if not state.files:
                state.status = Status.FAILED
                state.error = VendorError(ErrorClass.PERMANENT, "Lingtu reported success without any result URL")
        elif status == Status.FAILED:
            state.error = VendorError(_failure_class(message), message or "Lingtu reported the generation failed")
        elif status == Status.QUEUED:
            state.progress = 0
        return state


ADAPTER = LingtuAdapter


# Helpers ---------------------------------------------------------------------------------------------


def request_id_for(idempotency_key: str) -> str:
    """Our task's key, which makes retried submits land on the same job; hashed if over the 100-char limit."""
    if not idempotency_key:
        logger.warning("lingtu submit without an idempotency key; a retry would start a second job")
        return uuid.uuid4().hex
    if len(idempotency_key) > REQUEST_ID_MAX_LENGTH:
        return hashlib.sha256(idempotency_key.encode()).hexdigest()
    return idempotency_key


def job_id_from(answer: Any) -> str:
    """The job id from a bare string or number, or from an object holding `jobId`."""
    if isinstance(answer, dict):
        answer = answer.get("jobId", answer.get("id"))
    if isinstance(answer, bool) or not isinstance(answer, (str, int)):
        raise VendorError(ErrorClass.TRANSIENT, "the submit answer holds no job id")
    job_id = str(answer).strip()
    if not JOB_ID.match(job_id):
        raise VendorError(ErrorClass.TRANSIENT, f"the submit answer is not a job id: {job_id[:60]!r}")
    return job_id


def split_urls(value: Any) -> list[str]:
    """`url` is comma-separated for several images (a list is accepted too)."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    return [str(part).strip() for part in parts if str(part).strip()]


def classify_error(http_status: int, code: int | str | None, message: str) -> ErrorClass:
    """The HTTP status and the body code (an int as the document shows, or any string) decide together.

    429 and 5xx first, then the document's codes and words, a refused key or balance, then trouble inside the
    vendor (系统繁忙, 系统异常, internal…), then the remaining statuses.
    """
    number = code if isinstance(code, int) else None
    if http_status == 429 or number == 429:
        return ErrorClass.RATE_LIMITED
    if http_status >= 500 or (number is not None and 500 <= number < 600):
        return ErrorClass.TRANSIENT
    if number in ERROR_CODES:
        return ERROR_CODES[number]
    for word, error_class in ERROR_WORDS:
        if word in message:
            return error_class
    if http_status in (401, 403) or number in (401, 403):
        return ErrorClass.BAD_CREDENTIALS
    if http_status == 402 or number == 402:
        return ErrorClass.INSUFFICIENT_BALANCE
    trouble = trouble_class(code, message)
    if trouble is not None:
        return trouble
    if http_status == 404 or number == 404:
        return ErrorClass.PERMANENT
    if 400 <= http_status < 500 or number == 400:
        return ErrorClass.INVALID_PARAMETERS
    return ErrorClass.PERMANENT  # HTTP 200 with a code nobody documented: the vendor refused


def placement_for(product: InputImage, canvas: tuple[int, int]) -> dict[str, int]:
    """The product's box on the canvas as {x, y, width, height}; it must lie inside the canvas."""
    options = product.options
    names = ("x", "y", "width", "height")
    if not any(name in options for name in names):
        return _default_placement(product, canvas)
    try:
        box = {name: _whole_number(options[name]) for name in names}
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: "inf"
        raise InvalidParameters(
            {"product": _("Place the product with whole numbers for x, y, width and height.")}
        ) from None
    inside = (
        box["x"] >= 0
        and box["y"] >= 0
        and box["width"] >= 1
        and box["height"] >= 1
        and box["x"] + box["width"] <= canvas[0]
        and box["y"] + box["height"] <= canvas[1]
    )
    if not inside:
        raise InvalidParameters(
            {
                "product": _(
                    "The product (x %(x)d, y %(y)d, %(width)d×%(height)d) must lie inside the %(cw)d×%(ch)d canvas."
                )
                % {**box, "cw": canvas[0], "ch": canvas[1]}
            }
        )
    return box


def _default_placement(product: InputImage, canvas: tuple[int, int]) -> dict[str, int]:
    size = _image_size(product)
    if size is None:
        raise InvalidParameters({"product": _("Place the product on the canvas: x, y, width and height are needed.")})
    scale = min(canvas[0] * DEFAULT_PRODUCT_SHARE / size[0], canvas[1] * DEFAULT_PRODUCT_SHARE / size[1])
    width, height = max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
    return {"x": (canvas[0] - width) // 2, "y": (canvas[1] - height) // 2, "width": width, "height": height}


def _canvas(request: SubmitRequest) -> tuple[int, int]:
    return int(request.params.get("width") or 1024), int(request.params.get("height") or 1024)


def _canvas_param(name: str, label) -> Param:
    # Required by the document, but always sent: the default fills it in.
    return Param(name, "int", label=label, default=1024, min=CANVAS_MIN, max=CANVAS_MAX)


def _background_errors(request: SubmitRequest) -> dict[str, str]:
    has_image = bool(request.inputs_with_role("background"))
    has_id = bool(str(request.params.get("bg_id") or "").strip())
    if has_image and has_id:
        return {"background": _("Use either a background image or one from Lingtu's list, not both.")}
    if not has_image and not has_id:
        return {"background": _("Add a background image or pick one from Lingtu's list.")}
    return {}


def _garment_errors(garments: list[InputImage]) -> dict[str, str]:
    for garment in garments:
        if garment.options.get("type") not in GARMENT_TYPES:
            return {"garment": _("Say what each garment is: one of %(types)s.") % {"types": ", ".join(GARMENT_TYPES)}}
    return {}


def _lacks_transparency(image: InputImage) -> bool:
    if image.content_type.lower() in ("image/jpeg", "image/jpg"):
        return True
    picture = _open_picture(image)
    if picture is None:
        return False  # cannot tell without the file; say nothing rather than guess
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        return picture.convert("RGBA").getchannel("A").getextrema()[0] == 255
    return True


def _image_size(image: InputImage) -> tuple[int, int] | None:
    picture = _open_picture(image)
    return picture.size if picture else None


def _open_picture(image: InputImage):
    if image.open is None:
        return None
    from PIL import Image

    try:
        with image.open() as stream:
            picture = Image.open(stream)
            picture.load()
            return picture
    except Exception:  # Pillow raises many kinds for bad bytes; the vendor will judge the file itself
        logger.info("lingtu: could not read %s to check it", image.name)
        return None


def _decode(response: VendorResponse) -> Any:
    """JSON when it is; otherwise the text, which may be a bare job id (or an error page)."""
    try:
        return json.loads(response.content)
    except ValueError:
        text = response.text.strip()
        if 200 <= response.status < 300 and not JOB_ID.match(text):
            raise VendorError(
                ErrorClass.TRANSIENT, f"malformed answer from lingtu: {text[:120]!r}", http_status=response.status
            ) from None
        return text


def _error_fields(answer: Any) -> tuple[int | str | None, str]:
    """The body code (an int when it is one, else the string as sent) and the message."""
    if not isinstance(answer, dict):
        return None, ""
    message = str(answer.get("message") or answer.get("msg") or "")
    raw = answer.get("code")
    if raw is None or raw == "":
        return None, message
    text = str(raw).strip()
    if not isinstance(raw, bool) and text.lstrip("-").isdigit():
        return int(text), message
    return text, message


def _is_success_code(code: int | str | None) -> bool:
    return code in (None, 0, 200)


def _unwrap(answer: Any) -> Any:
    if isinstance(answer, dict) and "data" in answer and "code" in answer:
        return answer["data"]
    return answer


def _status(job_id: str, value: Any) -> Status:
    status = STATUSES.get(str(value or "").strip().lower())
    if status is None:
        logger.warning("lingtu job %s has an unknown status %r; treating it as running", job_id, value)
        return Status.RUNNING
    return status


def _failure_class(message: str) -> ErrorClass:
    for word, error_class in ERROR_WORDS:
        if word in message and error_class != ErrorClass.RATE_LIMITED:
            return error_class
    return ErrorClass.PERMANENT


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a coordinate")
    number = float(value)
    if number != int(number):
        raise ValueError("not a whole number")
    return int(number)
