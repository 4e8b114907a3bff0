"""速创生图 (suchuang): text→image and image→image through a points platform (`sc_soraimg_*` models).

Implements the vendor document seeds/003_383d3f47c4494dbf.txt ("速创生图接口调用示例"):

- `Authorization: Bearer <JWT>` on every call (credential field `token`);
- `POST /user/ai/tasks/submit` as JSON `{modelName, prompt, imageUrl?}`; `imageUrl` is one URL string, or a
  JSON array of URLs encoded as a string for several references;
- `GET /user/ai/tasks/{taskNo}` (task detail), `GET /user/ai/tasks/list?page&size&taskType&status`,
  `GET /user/points/consumption/balance`;
- every answer is `{code, message, data}`; statuses created|queued|processing|completed|failed; poll every 5 s.

The aspect ratio is part of the model name; each model gives one image per task and costs 30 (text) or 35
(image) platform points, charged at submit and refunded by the platform when the task fails.

Assumptions where the document is silent (see also the simulator, which follows the same decisions):
- An error may come as an HTTP status or as HTTP 200 with a `code` other than 200 in the body; both are read
  the same way on every endpoint (submit, detail, list, balance). In this order: the document's words
  ("积分不足" → insufficient balance, "未登录"/"token过期" → bad credentials, "任务不存在" → permanent);
  401/403 → bad credentials, 402 → insufficient balance (before the trouble words: "登录超时" is a refused
  token); trouble inside the platform (a 5xx code, 系统繁忙, 服务器内部错误, 系统异常, internal, timeout…) →
  transient, a busy or full queue → rate limited; 400 → invalid parameters; 429 → rate limited; 404 and any
  other code → permanent (a taskNo exists as soon as submit answers, so an unknown one will never appear).
  A reference the platform cannot fetch ("无法访问"/"下载失败", below HTTP 500) is transient but refused:
  no task was made and no points were charged, so it is sent again. A `code` 200 without a `data` object is
  transient. The connection check reads the balance, so a refused token (401/403, as status or code) says so.
- The submit answer's `data` is the same task object as the detail endpoint's (at least taskNo and status).
- The task list answers a MyBatis-Plus page: `data: {records: [task…], total, size, current, pages}`.
- A submit whose answer was lost (timeout, reset, cut body, 5xx, a trouble code at HTTP 200) may still have
  made a paid task. Submits carry no key of ours, so `find_lost_task()` looks for it in the task list by model,
  prompt start, reference URLs and `createTime` (the platform's local time, taken as Asia/Shanghai) and the
  worker adopts it.
- At most 6 reference images per image→image task (the document gives no limit).
- A `completed` task without a `resultUrl` is still being copied to the platform's storage: running.
- A failed task is permanent (its message is free text; the platform has refunded the points).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from studio.vendors.base import (
    Adapter,
    Balance,
    ErrorClass,
    FileKind,
    InputSpec,
    InvalidParameters,
    LostTaskRecovery,
    ResultFile,
    Status,
    SubmitRequest,
    TaskState,
    VendorError,
    VendorTaskRecord,
)
from studio.vendors.catalogue import CatalogueEntry
from studio.vendors.errors import trouble_class, unreachable_input_error
from studio.vendors.http import VendorResponse
from studio.vendors.operations import Operation
from studio.vendors.params import Param

logger = logging.getLogger(__name__)

MAX_REFERENCES = 6
# Finding a task whose submit answer was lost: how far around our send, and how much of the list to read.
PLATFORM_TIME_ZONE = "Asia/Shanghai"  # createTime carries no zone; the account option "time_zone" overrides it
CLOCK_SKEW = timedelta(seconds=2)
TASK_LIST_PAGE_SIZE = 50
TASK_LIST_MAX_PAGES = 200  # 10,000 tasks: the vendor check reads a day or a week of them
TASK_TYPES = {Operation.TEXT_TO_IMAGE: "text_to_image", Operation.IMAGE_TO_IMAGE: "image_to_image"}


@dataclass(frozen=True)
class Model:
    name: str
    operation: Operation
    ratio: str  # "auto" or "w:h"; implied by the name
    points: int
    label: Any


MODELS = {
    model.name: model
    for model in (
        Model("sc_soraimg_text_auto", Operation.TEXT_TO_IMAGE, "auto", 30, _("Sora image, automatic ratio")),
        Model("sc_soraimg_text_1x1", Operation.TEXT_TO_IMAGE, "1:1", 30, _("Sora image, square (1:1)")),
        Model("sc_soraimg_text_2x3", Operation.TEXT_TO_IMAGE, "2:3", 30, _("Sora image, portrait (2:3)")),
        Model("sc_soraimg_text_3x2", Operation.TEXT_TO_IMAGE, "3:2", 30, _("Sora image, landscape (3:2)")),
        Model("sc_soraimg_img2img_auto", Operation.IMAGE_TO_IMAGE, "auto", 35, _("Sora image, automatic ratio")),
        Model("sc_soraimg_img2img_1x1", Operation.IMAGE_TO_IMAGE, "1:1", 35, _("Sora image, square (1:1)")),
        Model("sc_soraimg_img2img_2x3", Operation.IMAGE_TO_IMAGE, "2:3", 35, _("Sora image, portrait (2:3)")),
        Model("sc_soraimg_img2img_3x2", Operation.IMAGE_TO_IMAGE, "3:2", 35, _("Sora image, landscape (3:2)")),
    )
}

CATALOGUE = [
    CatalogueEntry(operation=model.operation, model=model.name, label=model.label, points=model.points)
    for model in MODELS.values()
]

STATUSES = {
    "created": Status.QUEUED,
    "queued": Status.QUEUED,
    "processing": Status.RUNNING,
    "completed": Status.SUCCEEDED,
    "failed": Status.FAILED,
}

ERROR_CLASSES = {
    400: ErrorClass.INVALID_PARAMETERS,
    401: ErrorClass.BAD_CREDENTIALS,
    402: ErrorClass.INSUFFICIENT_BALANCE,
    403: ErrorClass.BAD_CREDENTIALS,
    404: ErrorClass.PERMANENT,
    429: ErrorClass.RATE_LIMITED,
}

# Checked before the code: the document's own error handling keys on these words in `message`.
ERROR_WORDS = (
    ("积分不足", ErrorClass.INSUFFICIENT_BALANCE),
    ("未登录", ErrorClass.BAD_CREDENTIALS),
    ("token过期", ErrorClass.BAD_CREDENTIALS),
    ("任务不存在", ErrorClass.PERMANENT),
)


@dataclass(frozen=True)
class TaskPage:
    """One page of the platform's task list."""

    tasks: list[TaskState]
    total: int
    page: int
    size: int


class SuchuangAdapter(Adapter):
    kind = "suchuang"
    default_poll_interval = 5.0
    credential_fields = ("token",)
    lost_task_recovery = LostTaskRecovery.TASK_LIST  # GET /user/ai/tasks/list: see find_lost_task()
    cost_unit = _("points")
    default_deadline_seconds = 180  # the document's own client gives up after 180 s

    # What can be asked -------------------------------------------------------------------------

    def parameters(self, operation: Operation, model: str) -> list[Param]:
        _model_for(operation, model)
        return [Param("prompt", "text", label=_("Prompt"), required=True)]

    def input_specs(self, operation: Operation, model: str) -> list[InputSpec]:
        if _model_for(operation, model).operation == Operation.TEXT_TO_IMAGE:
            return [InputSpec("reference", min=0, max=0, label=_("Reference images"))]
        return [InputSpec("reference", min=1, max=MAX_REFERENCES, label=_("Reference images"))]

    def check_rules(self, request: SubmitRequest) -> None:
        errors = {}
        if not request.params.get("prompt", "").strip():
            errors["prompt"] = _("Describe the image you want; the prompt cannot be blank.")
        other_roles = sorted({image.role for image in request.inputs if image.role != "reference"})
        if other_roles:
            errors[other_roles[0]] = _("This vendor takes reference images only.")
        if any(not image.url.startswith(("http://", "https://")) for image in request.inputs):
            errors["reference"] = _("Reference images must be http or https URLs the vendor can reach.")
        if errors:
            raise InvalidParameters(errors)

    # Calls -------------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest) -> TaskState:
        request = self.validate(request)
        body = {"modelName": request.model, "prompt": request.params["prompt"]}
        references = [image.url for image in request.inputs_with_role("reference")]
        if references:
            body["imageUrl"] = encode_image_urls(references)
        data = self._call("POST", "/user/ai/tasks/submit", json=body)
        if not data.get("taskNo"):
            raise VendorError(ErrorClass.TRANSIENT, "the submit answer has no taskNo")
        return self._task_state(data, raw=data)

    def poll(self, vendor_task_id: str, *, submitted: dict | None = None) -> TaskState:
        data = self._call("GET", f"/user/ai/tasks/{vendor_task_id}")
        return self._task_state(data, raw=data)

    def find_lost_task(
        self, request: SubmitRequest, *, sent_at: datetime, lost_at: datetime, known_ids: set[str]
    ) -> TaskState | None:
        """The task a lost submit made, from the task list, else None.

        A record matches when it is not already ours, has the model, the start of the prompt
        (`promptSnippet`) and the reference URLs we sent (our signed URLs are unique), and was created
        between our send and the moment we lost the answer (give or take CLOCK_SKEW: `createTime` is in
        whole seconds). Of several (the same prompt start, sent together), the oldest: the worker looks
        for lost tasks oldest first, so they pair up in the order the vendor made them.
        """
        earliest, latest = sent_at - CLOCK_SKEW, lost_at + CLOCK_SKEW
        listed = self._tasks_since(earliest, TASK_TYPES.get(request.operation))
        candidates = [
            (created, -position, task)
            for position, (created, task) in enumerate(listed)
            if created <= latest and task.vendor_task_id not in known_ids and _same_request(task, request)
        ]
        return min(candidates, key=lambda candidate: candidate[:2])[2] if candidates else None

    def list_tasks(self, *, since: datetime) -> list[VendorTaskRecord]:
        return [
            VendorTaskRecord(task.vendor_task_id, created, task.status, task.cost)
            for created, task in self._tasks_since(since)
        ]

    def _tasks_since(self, since: datetime, task_type: str | None = None):
        """(created, task) from the task list, newest first, until a page reaches back past `since`."""
        zone = ZoneInfo(self.options.get("time_zone", PLATFORM_TIME_ZONE))
        for page in range(1, TASK_LIST_MAX_PAGES + 1):
            found = self.task_list(page=page, size=TASK_LIST_PAGE_SIZE, task_type=task_type)
            oldest = None
            for task in found.tasks:
                created = _created_at(task.details.get("createTime"), zone)
                if created is not None:
                    oldest = created if oldest is None else min(oldest, created)
                    if created >= since:
                        yield created, task
            if oldest is None or oldest < since or page * found.size >= found.total:
                return

    def task_list(
        self, page: int = 1, size: int = 10, task_type: str | None = None, status: str | None = None
    ) -> TaskPage:
        """The account's tasks, newest first; `task_type` is text_to_image or image_to_image."""
        query: dict[str, Any] = {"page": page, "size": size}
        if task_type:
            query["taskType"] = str(task_type)
        if status:
            query["status"] = status
        data = self._call("GET", "/user/ai/tasks/list", params=query)
        records = data.get("records") or []
        return TaskPage(
            tasks=[self._task_state(record, raw=record) for record in records if isinstance(record, dict)],
            total=int(data.get("total") or 0),
            page=int(data.get("current") or page),
            size=int(data.get("size") or size),
        )

    def balance(self) -> Balance:
        data = self._call("GET", "/user/points/consumption/balance")
        return Balance(points=_int_or_none(data.get("balance")))

    def check_connection(self) -> str:
        return gettext("Connected: %(points)s points left.") % {"points": self.balance().points}

    # Wire details ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        """One API call; returns the envelope's `data`, or raises VendorError with the right class.

        Every endpoint is read the same way: an error status, or HTTP 200 with a `code` other than 200.
        """
        headers = {"Authorization": f"Bearer {self.credentials.get('token', '')}"}
        response = self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        body = _envelope(response)
        code = body.get("code")
        if code is not None and _int_or_none(code) != 200:
            raise self._error(body, code, response.status)
        if response.status != 200:
            raise self._error(body, response.status, response.status)
        data = body.get("data")
        if not isinstance(data, dict):
            message = self.http.redact(str(body.get("message") or "no message"))
            raise VendorError(
                ErrorClass.TRANSIENT, f"the answer has no data object ({message})", http_status=response.status
            )
        return data

    def _error(self, body: dict[str, Any], code: int | str, http_status: int) -> VendorError:
        message = self.http.redact(str(body.get("message") or body.get("error") or f"HTTP {http_status}"))
        return unreachable_input_error(message, code=code, http_status=http_status) or VendorError(
            classify_error(code, message), message, code=code, http_status=http_status
        )

    def _task_state(self, data: dict[str, Any], *, raw: Any) -> TaskState:
        vendor_status = str(data.get("status") or "").lower()
        status = STATUSES.get(vendor_status)
        if status is None:
            logger.warning(
                "suchuang task %s has an unknown status %r; treating it as running", data.get("taskNo"), vendor_status
            )
            status = Status.RUNNING
        result_url = data.get("resultUrl")
        if status == Status.SUCCEEDED and not result_url:
            logger.warning("suchuang task %s is completed without a resultUrl yet", data.get("taskNo"))
            status = Status.RUNNING
        model = MODELS.get(str(data.get("modelName") or ""))
        state = TaskState(
            status=status,
            vendor_task_id=str(data.get("taskNo") or ""),
            progress=_int_or_none(data.get("progress")),
            cost=model.points if model else None,
            details=_details(data),
            raw=raw,
        )
        if status == Status.SUCCEEDED:
            state.files = [ResultFile(str(result_url), FileKind.IMAGE)]
        if status == Status.FAILED:
            state.cost = 0  # the platform refunds a failed task's points
            message = self.http.redact(str(data.get("errorMessage") or "任务失败"))
            state.error = VendorError(ErrorClass.PERMANENT, message)
        return state


ADAPTER = SuchuangAdapter


def encode_image_urls(urls: list[str]) -> str:
    """One reference as its URL; several as a JSON array encoded as a string, as the document's examples do."""
    if len(urls) == 1:
        return urls[0]
    return json.dumps(urls, separators=(",", ":"), ensure_ascii=False)


def _created_at(value: Any, zone: ZoneInfo) -> datetime | None:
    """`createTime` is the platform's local time without a zone ("2025-10-26T15:30:45")."""
    try:
        created = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=zone)


def _same_request(task: TaskState, request: SubmitRequest) -> bool:
    details = task.details
    snippet = str(details.get("promptSnippet") or "").removesuffix("...")
    references = [image.url for image in request.inputs_with_role("reference")]
    sent_urls = encode_image_urls(references) if references else None
    return (
        details.get("modelName") == request.model
        and str(request.params.get("prompt", "")).startswith(snippet)
        and (details.get("imageUrl") or None) == sent_urls
    )


def classify_error(code: int | str, message: str) -> ErrorClass:
    """The document's words, then a refused key or balance, then trouble inside the platform, then the code.

    401/402/403 come before the trouble words, so "登录超时" is still a refused token, not a timeout.
    """
    lowered = message.lower()
    for word, error_class in ERROR_WORDS:
        if word in lowered:
            return error_class
    number = _int_or_none(code)
    if number in (401, 402, 403):
        return ERROR_CLASSES[number]
    trouble = trouble_class(code, message)
    if trouble is not None:
        return trouble
    if number in ERROR_CLASSES:
        return ERROR_CLASSES[number]
    if number is not None and number >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.PERMANENT


def _model_for(operation: Operation, model: str) -> Model:
    found = MODELS.get(model)
    if found is None or found.operation != operation:
        choices = ", ".join(name for name, known in MODELS.items() if known.operation == operation)
        raise InvalidParameters({"model": _("Choose one of: %(choices)s.") % {"choices": choices}})
    return found


def _envelope(response: VendorResponse) -> dict[str, Any]:
    """The `{code, message, data}` body; an error status may come with a body that is not JSON at all."""
    try:
        body = response.json()
    except VendorError:
        if response.status != 200:
            return {"code": response.status, "message": response.summary or f"HTTP {response.status}"}
        raise
    if not isinstance(body, dict):
        raise VendorError(ErrorClass.TRANSIENT, "the answer is not a JSON object", http_status=response.status)
    return body


def _details(data: dict[str, Any]) -> dict[str, Any]:
    names = ("modelName", "taskType", "promptSnippet", "imageUrl", "createTime", "completeTime")
    return {name: data[name] for name in names if data.get(name) is not None}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
