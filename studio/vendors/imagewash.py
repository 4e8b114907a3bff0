"""云帆智联 批量洗图 (imagewash): restyle ("wash") up to 100 product images per call, with an optional reference.

Implements the vendor document seeds/000_8ac371944547d8f6.txt ("提交任务") and the vendor's common result endpoint
(from its public docs):

- header `X-API-Token` on every call (credential field `api_token`);
- `POST /api/third-party/imageWash/generate` as JSON `{model?, prompt, productImages[], referenceImages[]?,
  resolution?, aspectRatio?, count?}`; the answer's `data` holds `taskId`, `status`, `cost.chargedCoins` and one
  `items[]` entry per child task (`childTaskId`, `productImage`, `referenceImage`);
- `GET /api/third-party/common/result?taskId=…` answers `data: {taskId, status, results: [{fileUrl, fileType}],
  resultImageUrls, recordId}`; statuses pending|processing|completed|failed|partial_failed.

One call makes products × max(1, references) × count child tasks, at most 100: `split()` cuts a larger request
into calls by products.

Assumptions where the document is silent:
- Errors: only 429 (queue full) is named. An error may come as an HTTP status or as HTTP 200 with a business
  `code` other than 200 in the body; both are read on both endpoints (submit and result). In this order:
  429 or "队列已满"/"请求过于频繁" → rate limited (never a failure); 余额/积分/金币/点数 不足 → insufficient
  balance; 401/403 → bad credentials, 402 → insufficient balance; an internal error or busy vendor (a 5xx code,
  or words such as 系统繁忙, 服务器内部错误, 系统异常, internal, timeout) → transient; 400/422 → invalid
  parameters; 404 (unknown taskId: the id exists as soon as submit answers) and anything else → permanent.
  An input the vendor could not download ("下载失败"/"无法下载"/"无法访问", below HTTP 500) is transient but
  refused: no task was made, so it is sent again. A transient answer on submit (5xx, a cut or unparsable body,
  an internal-error code at HTTP 200) may still have made a paid task: the worker does not resend it.
- The connection check asks for a taskId that cannot exist: a 404 code or "任务不存在" means the token works.
- Result files carry no pointer to their product. The vendor lists children product-major, then reference,
  then count, and we take it that results come back in that order. So when `poll()` is given the submit's
  items (`TaskState.details["items"]`) and the number of files equals the number of children that were not
  already failed at submission, file n gets `source` = the productImage URL of child n; otherwise `source`
  stays empty (a partial failure does not say which children failed).
- A `completed` task without any file is a failure (permanent): nothing can be charged for it.
- A failed task's reason is read from `data.errorMessage`/`data.error`/`data.message`; the envelope's `message`
  describes the query ("success"), so without those the reason is "failed without a reason".
- Prices: the document's only price is its example, nanoBanana2 at 2k charging unitCoins 4 per child. We take
  one vendor coin as one studio point, price 1k like 2k (upstream Nano Banana prices 1k and 2k alike) and 4k
  at twice that; nanoBananaPro at twice nanoBanana2. Admins edit prices per offering.
- `resolution` (default 2k) and `aspectRatio` (default auto), the document's example values, are always sent,
  so a run's price is known before it is submitted.
- `referenceImages`: the document "suggests" at most 1; Studio allows at most 1.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from studio.vendors.base import (
    MAX_JOB_INPUTS,
    Adapter,
    ErrorClass,
    FileKind,
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
from studio.vendors.errors import trouble_class, unreachable_input_error
from studio.vendors.http import VendorResponse
from studio.vendors.operations import Operation
from studio.vendors.params import Param

logger = logging.getLogger(__name__)

SUBMIT_PATH = "/api/third-party/imageWash/generate"
RESULT_PATH = "/api/third-party/common/result"
SUCCESS_CODE = 200
MAX_PRODUCTS = 100
MAX_REFERENCES = 1
MAX_SUBTASKS = 100

MODELS = ("nanoBanana2", "nanoBananaPro")
RESOLUTIONS = ("1k", "2k", "4k")
ASPECT_RATIOS = ("auto", "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")

STATUSES = {
    "pending": Status.QUEUED,
    "processing": Status.RUNNING,
    "completed": Status.SUCCEEDED,
    "failed": Status.FAILED,
    "partial_failed": Status.PARTIAL,
}

CLASS_BY_CODE = {
    400: ErrorClass.INVALID_PARAMETERS,
    401: ErrorClass.BAD_CREDENTIALS,
    402: ErrorClass.INSUFFICIENT_BALANCE,
    403: ErrorClass.BAD_CREDENTIALS,
    422: ErrorClass.INVALID_PARAMETERS,
    429: ErrorClass.RATE_LIMITED,
}
QUEUE_FULL_WORDS = ("队列已满", "请求过于频繁")
BALANCE_WORDS = ("余额不足", "积分不足", "金币不足", "点数不足")

CATALOGUE = [
    CatalogueEntry(
        Operation.WASH,
        "nanoBanana2",
        _("Wash with Nano Banana 2"),
        points=4,
        price_by=("resolution",),
        price_table={"1k": 4, "2k": 4, "4k": 8},
    ),
    CatalogueEntry(
        Operation.WASH,
        "nanoBananaPro",
        _("Wash with Nano Banana Pro"),
        points=8,
        price_by=("resolution",),
        price_table={"1k": 8, "2k": 8, "4k": 16},
    ),
]


class ImageWashAdapter(Adapter):
    kind = "imagewash"
    default_poll_interval = 5.0  # the vendor estimates 30–120 s per batch
    credential_fields = ("api_token",)
    # No documented way to find a task whose submit answer was lost: such a task stops as uncertain.
    lost_task_recovery = LostTaskRecovery.NONE
    count_param = "count"
    cost_unit = _("coins")  # data.cost.chargedCoins of the submit answer

    # What can be asked -------------------------------------------------------------------------

    def parameters(self, operation: Operation, model: str) -> list[Param]:
        _require_wash(operation)
        return [
            Param(
                "prompt",
                "text",
                label=_("Prompt"),
                required=True,
                help=_("Say what to replace, what to keep and the look of the final picture."),
            ),
            Param("resolution", "choice", label=_("Resolution"), choices=RESOLUTIONS, default="2k"),
            Param("aspectRatio", "choice", label=_("Aspect ratio"), choices=ASPECT_RATIOS, default="auto"),
            Param(
                "count",
                "int",
                label=_("Images per product"),
                default=1,
                min=1,
                max=MAX_SUBTASKS,
                help=_("One call makes at most 100 images; more products are sent in several calls."),
            ),
        ]

    def input_specs(self, operation: Operation, model: str) -> list[InputSpec]:
        _require_wash(operation)
        return [
            InputSpec("product", min=1, max=MAX_JOB_INPUTS, per_call=MAX_PRODUCTS, label=_("Product images")),
            InputSpec("reference", min=0, max=MAX_REFERENCES, label=_("Reference image")),
        ]

    def check_rules(self, request: SubmitRequest) -> None:
        errors = {}
        if not str(request.params.get("prompt", "")).strip():
            errors["prompt"] = gettext("Describe the wash: what to replace, what to keep, the final style.")
        roles = {image.role for image in request.inputs} - {"product", "reference"}
        if roles:
            errors["inputs"] = gettext("Only product and reference images can be washed, not: %(roles)s.") % {
                "roles": ", ".join(sorted(roles))
            }
        if errors:
            raise InvalidParameters(errors)

    def output_count(self, request: SubmitRequest) -> int:
        products = len(request.inputs_with_role("product"))
        return products * _per_product(request)

    def split(self, request: SubmitRequest) -> list[SubmitRequest]:
        """Batches of products small enough that each call makes at most 100 child tasks."""
        products = request.inputs_with_role("product")
        references = request.inputs_with_role("reference")
        batch_size = max(1, MAX_SUBTASKS // _per_product(request))
        if len(products) <= batch_size:
            return [request]
        batches = [products[start : start + batch_size] for start in range(0, len(products), batch_size)]
        return [
            replace(
                request,
                inputs=(*batch, *references),
                idempotency_key=f"{request.idempotency_key}-{number}" if request.idempotency_key else "",
            )
            for number, batch in enumerate(batches, start=1)
        ]

    # Calls -------------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest) -> TaskState:
        request = self.validate(request)
        if self.output_count(request) > MAX_SUBTASKS:
            raise InvalidParameters({"productImages": gettext("At most 100 images per call: split the request.")})
        response = self.http.request(
            "POST", f"{self.base_url}{SUBMIT_PATH}", headers=self._headers(), json=_submit_body(request)
        )
        body, data = self._read(response)
        task_id = str(data.get("taskId") or "")
        if not task_id:
            raise VendorError(ErrorClass.TRANSIENT, "the vendor's answer has no taskId", http_status=response.status)
        items = [_item(item) for item in data.get("items") or [] if isinstance(item, dict)]
        cost = data.get("cost") if isinstance(data.get("cost"), dict) else {}
        return TaskState(
            status=_status(data.get("status") or "pending"),
            vendor_task_id=task_id,
            record_ids=_record_ids(data, items),
            cost=_int_or_none(cost.get("chargedCoins")),
            details={
                "items": items,
                "total_tasks": data.get("totalTasks"),
                "submitted_tasks": data.get("submittedTasks"),
                "failed_submissions": data.get("failedSubmissions"),
                "estimated_time": data.get("estimatedTime"),
                "unit_coins": cost.get("unitCoins"),
                "refunded_coins": cost.get("refundedCoins"),
            },
            raw=body,
        )

    def poll(self, vendor_task_id: str, *, submitted: dict | None = None) -> TaskState:
        """The task's state; with the submit's details, each file also learns which product it is from."""
        items = (submitted or {}).get("items")
        response = self.http.request(
            "GET", f"{self.base_url}{RESULT_PATH}", headers=self._headers(), params={"taskId": vendor_task_id}
        )
        body, data = self._read(response)
        status = _status(data.get("status"))
        state = TaskState(
            status=status,
            vendor_task_id=str(data.get("taskId") or vendor_task_id),
            record_ids=[str(data["recordId"])] if data.get("recordId") else [],
            raw=body,
        )
        if status in (Status.SUCCEEDED, Status.PARTIAL):
            state.files = _files(data, items)
            state.details = _child_counts(len(state.files), items)
            if not state.files:
                state.status = Status.FAILED
                state.error = VendorError(
                    ErrorClass.PERMANENT, f"the vendor reported {data.get('status')!r} but returned no result image"
                )
        elif status == Status.FAILED:
            state.error = VendorError(ErrorClass.PERMANENT, self.http.redact(_failure_message(data)))
        return state

    # Helpers -----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"X-API-Token": self.credentials.get("api_token", "")}

    def _read(self, response: VendorResponse) -> tuple[dict, dict]:
        """The envelope and its `data`, or the vendor's refusal (HTTP status or body code) as a VendorError."""
        body = _json_object_or_none(response)
        code = body.get("code") if body else None
        if response.status >= 400 or (code is not None and _int_or_none(code) != SUCCESS_CODE):
            message = self.http.redact(_message(body) or response.summary or f"HTTP {response.status}")
            numbers = [n for n in (_int_or_none(code), response.status) if n is not None and n != SUCCESS_CODE]
            raise unreachable_input_error(message, code=code, http_status=response.status) or VendorError(
                _error_class(numbers, code, message), message, code=code, http_status=response.status
            )
        if body is None:
            response.json()  # raises the transient "malformed JSON" error
            raise VendorError(ErrorClass.TRANSIENT, "the vendor's answer is not a JSON object")
        data = body.get("data")
        if not isinstance(data, dict):
            # The envelope's words stay in the message: "任务不存在" there still says the key works.
            message = self.http.redact(f"the vendor's answer has no data ({_message(body) or 'no message'})")
            raise VendorError(ErrorClass.TRANSIENT, message, code=code, http_status=response.status)
        return body, data


ADAPTER = ImageWashAdapter


def _require_wash(operation: Operation) -> None:
    if operation != Operation.WASH:
        raise NotSupported(f"imagewash only washes products, it cannot do {operation}")


def _per_product(request: SubmitRequest) -> int:
    """Child tasks one product makes: one per reference (at least one) per count."""
    references = len(request.inputs_with_role("reference"))
    return max(1, references) * int(request.params.get("count") or 1)


def _submit_body(request: SubmitRequest) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if request.model:
        body["model"] = request.model
    body["prompt"] = request.params["prompt"]
    body["productImages"] = [image.url for image in request.inputs_with_role("product")]
    references = [image.url for image in request.inputs_with_role("reference")]
    if references:
        body["referenceImages"] = references
    for name in ("resolution", "aspectRatio", "count"):
        if name in request.params:
            body[name] = request.params[name]
    return body


def _item(item: dict) -> dict[str, str]:
    return {
        "childTaskId": str(item.get("childTaskId") or ""),
        "recordId": str(item.get("recordId") or ""),
        "status": str(item.get("status") or ""),
        "productImage": str(item.get("productImage") or ""),
        "referenceImage": str(item.get("referenceImage") or ""),
    }


def _record_ids(data: dict, items: list[dict]) -> list[str]:
    ids = [str(data["recordId"])] if data.get("recordId") else []
    return ids + [item["recordId"] for item in items if item["recordId"]]


def _status(value: Any) -> Status:
    text = str(value or "").strip().lower()
    if text in STATUSES:
        return STATUSES[text]
    logger.warning("imagewash answered an unknown task status %r; taken as running", value)
    return Status.RUNNING


def _files(data: dict, items: list[dict] | None) -> list[ResultFile]:
    urls = [result.get("fileUrl") for result in data.get("results") or [] if isinstance(result, dict)]
    urls = [url for url in urls if isinstance(url, str) and url]
    if not urls:
        urls = [url for url in data.get("resultImageUrls") or [] if isinstance(url, str) and url]
    sources = _sources(items, len(urls))
    return [ResultFile(url, FileKind.IMAGE, source) for url, source in zip(urls, sources, strict=True)]


def _sources(items: list[dict] | None, file_count: int) -> list[str]:
    """Each file's product URL, when the files line up one to one with the children (see the docstring)."""
    live = [item for item in items or [] if str(item.get("status", "")).lower() != "failed"]
    if live and len(live) == file_count:
        return [str(item.get("productImage") or "") for item in live]
    return [""] * file_count


def _child_counts(succeeded: int, items: list[dict] | None) -> dict[str, int]:
    counts = {"succeeded_children": succeeded}
    if items:
        counts["failed_children"] = max(0, len(items) - succeeded)
    return counts


def _failure_message(data: dict) -> str:
    """The failed task's own reason; never the envelope's message, which describes the query ("success")."""
    for reason in (data.get("errorMessage"), data.get("error"), data.get("message")):
        if isinstance(reason, dict):
            reason = reason.get("message")
        if isinstance(reason, str) and reason.strip():
            return reason
    return "the vendor reported the task failed without a reason"


def _error_class(numbers: list[int], code: Any, message: str) -> ErrorClass:
    """Queue and balance words, then a refused key, then trouble inside the vendor, then the other numbers.

    `numbers` are the body code and the HTTP status that are not 200. A key refused "after a timeout" is still
    a refused key, so 401/402/403 come before the trouble words (超时, 繁忙, 异常…).
    """
    if 429 in numbers or any(word in message for word in QUEUE_FULL_WORDS):
        return ErrorClass.RATE_LIMITED
    if any(word in message for word in BALANCE_WORDS):
        return ErrorClass.INSUFFICIENT_BALANCE
    for number in numbers:
        if number in (401, 402, 403):
            return CLASS_BY_CODE[number]
    trouble = trouble_class(code, message)
    if trouble is not None:
        return trouble
    for number in numbers:
        if number in CLASS_BY_CODE:
            return CLASS_BY_CODE[number]
        if 500 <= number < 600:
            return ErrorClass.TRANSIENT
    return ErrorClass.PERMANENT


def _json_object_or_none(response: VendorResponse) -> dict | None:
    try:
        body = response.json()
    except VendorError:
        return None
    return body if isinstance(body, dict) else None


def _message(body: dict | None) -> str:
    if not body:
        return ""
    message = body.get("message") or body.get("msg") or ""
    return str(message)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
