"""Simulated 速创生图 (suchuang) platform, after the vendor document seeds/003_383d3f47c4494dbf.txt.

Speaks the document's wire format: `Authorization: Bearer <JWT>`, JSON bodies, `{code, message, data}` answers
with Chinese messages, task numbers like `TASK-20251026153045123-4567`, statuses created → queued → processing →
completed | failed, and a points balance charged at submit (30 text, 35 image) and refunded on failure.

Decisions where the document is silent (the adapter reads the same shapes):
- Errors answer with the HTTP status equal to `code` (401, 402, 400, 404, 429, 500). Set
  `sim.state["suchuang"]["errors_in_body"] = True` to answer them as HTTP 200 with the code in the body instead.
- The submit answer's `data` is the task object of the detail endpoint, with status `created`.
- The task list answers `data: {records, total, size, current, pages}` (a MyBatis-Plus page), newest first.
- `imageUrl` is required by image→image models; text models accept it absent, null or "" and refuse anything else.
- At most 6 references; each is fetched at submit, and one that cannot be fetched or is not an image is refused
  with 400 before any points are charged.
- An unknown (or another account's) taskNo answers 404 "任务不存在".
- The "error_200" fault answers `{"code": 500|429, "message", "data": null}` with HTTP 200 whatever
  `errors_in_body` says. A task created under any fault is in the task list like every other.
"""

from __future__ import annotations

import json
import math
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from studio.simulator import images
from studio.simulator.core import BadRequest, Response, SimTask, Simulator, json_response

PLATFORM_TIME_ZONE = ZoneInfo("Asia/Shanghai")

VENDOR = "suchuang"
DEMO_CREDENTIALS = {"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdHVkaW8tZGVtbyJ9.c2ltdWxhdG9yLWRlbW8tc2lnbmF0dXJl"}
DEMO_USER_ID = 17563793187762127
STARTING_POINTS = 10_000
MAX_REFERENCES = 6

# modelName → (taskType, aspect ratio, points)
MODELS = {
    "sc_soraimg_text_auto": ("text_to_image", "auto", 30),
    "sc_soraimg_text_1x1": ("text_to_image", "1:1", 30),
    "sc_soraimg_text_2x3": ("text_to_image", "2:3", 30),
    "sc_soraimg_text_3x2": ("text_to_image", "3:2", 30),
    "sc_soraimg_img2img_auto": ("image_to_image", "auto", 35),
    "sc_soraimg_img2img_1x1": ("image_to_image", "1:1", 35),
    "sc_soraimg_img2img_2x3": ("image_to_image", "2:3", 35),
    "sc_soraimg_img2img_3x2": ("image_to_image", "3:2", 35),
}
STATUSES = ("created", "queued", "processing", "completed", "failed")
FAILURE_MESSAGE = "生成失败:内容未通过安全审核,积分已退还"
ERROR_MESSAGES = {500: "服务器错误", 429: "请求过于频繁,请稍后再试"}  # the document's table says 500 服务器错误
RESULT_LONG_SIDE = 768


class SuchuangError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def register(sim: Simulator) -> None:
    sim.state[VENDOR] = {
        **DEMO_CREDENTIALS,
        "points": STARTING_POINTS,
        "errors_in_body": False,
        "task_numbers": {},  # taskNo → simulator task id
    }
    sim.rate_limit_bodies[VENDOR] = lambda: _error_response(sim, 429, "请求过于频繁,请稍后再试")
    sim.error_200_bodies[VENDOR] = lambda code: {"code": code, "message": ERROR_MESSAGES[code], "data": None}

    def endpoint(handler):
        """Checks the token first and turns SuchuangError into the platform's error answer."""

        def wrapped(request, **kwargs):
            try:
                _authenticate(sim, request)
                return _ok(handler(request, **kwargs))
            except SuchuangError as error:
                return _error_response(sim, error.code, error.message)

        return wrapped

    @sim.route(VENDOR, "POST", r"/user/ai/tasks/submit")
    @endpoint
    def submit(request):
        body = _json_object(request)
        model_name, prompt, image_url = _submit_fields(body)
        task_type, ratio, points = MODELS[model_name]
        references = _fetch_references(_parse_image_urls(task_type, image_url))
        with sim.lock:
            state = sim.state[VENDOR]
            if state["points"] < points:
                raise SuchuangError(402, f"积分不足,当前积分:{state['points']},需要:{points}")
            state["points"] -= points
            task_no = _new_task_no(state["task_numbers"])
            task = sim.add_task(
                VENDOR,
                lambda: _make_result(sim, prompt, ratio, references),
                prefix="sc_",
                charge=points,
                public_id=task_no,
                task_no=task_no,
                model_name=model_name,
                task_type=task_type,
                prompt=prompt,
                image_url=image_url or None,
                points=points,
                create_time=platform_now(),
            )
            state["task_numbers"][task_no] = task.id
        return _task_object(sim, task, just_created=True)

    # Registered before the detail route, whose pattern would also match "list".
    @sim.route(VENDOR, "GET", r"/user/ai/tasks/list")
    @endpoint
    def task_list(request):
        page = _query_int(request, "page", 1, low=1, high=10_000)
        size = _query_int(request, "size", 10, low=1, high=100)
        task_type = request.query_value("taskType")
        status = request.query_value("status")
        if task_type and task_type not in ("text_to_image", "image_to_image"):
            raise SuchuangError(400, f"参数错误:taskType取值无效: {task_type}")
        if status and status not in STATUSES:
            raise SuchuangError(400, f"参数错误:status取值无效: {status}")
        records = [_task_object(sim, task) for task in reversed(_own_tasks(sim))]
        records = [
            record
            for record in records
            if (not task_type or record["taskType"] == task_type) and (not status or record["status"] == status)
        ]
        start = (page - 1) * size
        return {
            "records": records[start : start + size],
            "total": len(records),
            "size": size,
            "current": page,
            "pages": math.ceil(len(records) / size),
        }

    @sim.route(VENDOR, "GET", r"/user/ai/tasks/(?P<task_no>[^/]+)")
    @endpoint
    def task_detail(request, task_no):
        task = sim.tasks.get(sim.state[VENDOR]["task_numbers"].get(task_no, ""))
        if task is None:  # never submitted, or forgotten by a simulator reset
            raise SuchuangError(404, "任务不存在")
        return _task_object(sim, task)

    @sim.route(VENDOR, "GET", r"/user/points/consumption/balance")
    @endpoint
    def balance(request):
        for task in _own_tasks(sim):
            _status(sim, task)  # settles refunds of tasks that failed since anyone last looked
        return {"userId": DEMO_USER_ID, "balance": sim.state[VENDOR]["points"], "expireTime": None}


# Requests ----------------------------------------------------------------------------------------


def _authenticate(sim: Simulator, request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or not token or not secrets.compare_digest(token, sim.state[VENDOR]["token"]):
        raise SuchuangError(401, "未登录或Token过期")


def _json_object(request) -> dict[str, Any]:
    try:
        body = request.json()
    except BadRequest:
        raise SuchuangError(400, "参数错误:请求体必须是JSON (Content-Type: application/json)") from None
    if not isinstance(body, dict):
        raise SuchuangError(400, "参数错误:请求体必须是JSON对象")
    return body


def _submit_fields(body: dict[str, Any]) -> tuple[str, str, str | None]:
    model_name, prompt, image_url = body.get("modelName"), body.get("prompt"), body.get("imageUrl")
    if not isinstance(model_name, str) or not model_name:
        raise SuchuangError(400, "参数错误:modelName不能为空")
    if model_name not in MODELS:
        raise SuchuangError(400, f"参数错误:不支持的模型: {model_name}")
    if not isinstance(prompt, str) or not prompt.strip():
        raise SuchuangError(400, "参数错误:prompt不能为空")
    if image_url is not None and not isinstance(image_url, str):
        raise SuchuangError(400, "参数错误:imageUrl必须是字符串(多张参考图请传JSON数组字符串)")
    return model_name, prompt, image_url


def _parse_image_urls(task_type: str, image_url: str | None) -> list[str]:
    """One URL, or a JSON array of URLs encoded as a string."""
    if task_type == "text_to_image":
        if image_url:
            raise SuchuangError(400, "参数错误:文生图模型不支持imageUrl,请使用图生图模型")
        return []
    if not image_url or not image_url.strip():
        raise SuchuangError(400, "参数错误:图生图模型必须提供imageUrl")
    text = image_url.strip()
    urls: Any = [text]
    if text.startswith("["):
        try:
            urls = json.loads(text)
        except ValueError:
            raise SuchuangError(400, "参数错误:imageUrl不是合法的JSON数组") from None
    if not isinstance(urls, list) or not urls or not all(isinstance(url, str) for url in urls):
        raise SuchuangError(400, "参数错误:imageUrl必须是URL或URL的JSON数组")
    if len(urls) > MAX_REFERENCES:
        raise SuchuangError(400, f"参数错误:参考图最多{MAX_REFERENCES}张")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise SuchuangError(400, f"参数错误:imageUrl必须是http或https链接: {url}")
    return urls


def _fetch_references(urls: list[str]) -> list:
    fetched = []
    for url in urls:
        try:
            fetched.append(images.fetch_image(url))
        except images.InputError:
            raise SuchuangError(400, f"参数错误:参考图无法访问或不是图片: {url}") from None
    return fetched


def _query_int(request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query_value(name)
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SuchuangError(400, f"参数错误:{name}必须是整数") from None
    if not low <= value <= high:
        raise SuchuangError(400, f"参数错误:{name}取值范围{low}-{high}")
    return value


# Tasks -------------------------------------------------------------------------------------------


def _new_task_no(existing: dict[str, str]) -> str:
    while True:
        now = datetime.now()
        task_no = f"TASK-{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}-{secrets.randbelow(10_000):04d}"
        if task_no not in existing:
            return task_no


def _own_tasks(sim: Simulator) -> list[SimTask]:
    with sim.lock:
        return [sim.tasks[task_id] for task_id in sim.state[VENDOR]["task_numbers"].values() if task_id in sim.tasks]


def _status(sim: Simulator, task: SimTask) -> str:
    """The platform's status for the task's phase; a failed task's points go back once."""
    phase = task.phase()
    if phase == "fail":
        with sim.lock:
            if not task.data.get("refunded"):
                task.data["refunded"] = True
                sim.state[VENDOR]["points"] += task.data["points"]
                sim.record_refund(task.id, task.data["points"])
        return "failed"
    # One image per task: a "partial" outcome has nothing to be partial about, so it completes.
    return {"queued": "queued", "running": "processing"}.get(phase, "completed")


def platform_now() -> datetime:
    """The platform's clock: China time, written without a zone, as the document's createTime is."""
    return datetime.now(PLATFORM_TIME_ZONE).replace(tzinfo=None)


def _progress(task: SimTask, status: str) -> int:
    if status == "completed":
        return 100
    if status in ("created", "queued"):
        return 0
    elapsed = platform_now() - task.data["create_time"]
    return max(5, min(95, int(elapsed.total_seconds() / max(task.latency, 0.001) * 100)))


def _task_object(sim: Simulator, task: SimTask, *, just_created: bool = False) -> dict[str, Any]:
    status = "created" if just_created else _status(sim, task)
    result_url = task.results()[0] if status == "completed" else None
    prompt = task.data["prompt"]
    created = task.data["create_time"]
    finished = status in ("completed", "failed")
    return {
        "taskNo": task.data["task_no"],
        "modelName": task.data["model_name"],
        "status": status,
        "taskType": task.data["task_type"],
        "progress": _progress(task, status),
        "promptSnippet": prompt if len(prompt) <= 20 else prompt[:20] + "...",
        "imageUrl": task.data["image_url"],
        "resultUrl": result_url,
        "createTime": created.isoformat(timespec="seconds"),
        "completeTime": (created + timedelta(seconds=task.latency)).isoformat(timespec="seconds") if finished else None,
        "errorMessage": FAILURE_MESSAGE if status == "failed" else None,
    }


def _make_result(sim: Simulator, prompt: str, ratio: str, references: list) -> list[str]:
    """Text: an image generated after the prompt; image: the first reference restyled, at the model's ratio."""
    if references:
        first = references[0]
        size = images.canvas_for(images.parse_ratio(ratio, first.size), RESULT_LONG_SIDE)
        image = images.restyle(first, prompt, size=size)
    else:
        size = images.canvas_for(images.parse_ratio(ratio, (1, 1)), RESULT_LONG_SIDE)
        image = images.generate(prompt, size)
    content, content_type = images.encode(image, "PNG")
    return [sim.store_file(content, content_type, suffix=".png")]


# Answers -----------------------------------------------------------------------------------------


def _ok(data: dict[str, Any]) -> Response:
    return json_response({"code": 200, "message": "success", "data": data})


def _error_response(sim: Simulator, code: int, message: str) -> Response:
    http_status = 200 if sim.state.get(VENDOR, {}).get("errors_in_body") else code
    return json_response({"code": code, "message": message, "data": None}, http_status)
