"""Simulated imagetasks (seeds/001, "通用异步图像生成"): POST /v1/images/tasks and GET /v1/images/tasks/{task_id}.

Speaks the document, not the adapter: `Authorization: Bearer sk-…`; submit as JSON (`image` URL or `images` URL
list) or multipart/form-data (file field `image`); gpt-image-2 needs a listed `size` and refuses `aspect_ratio`;
`output_format` and `n` are checked per model family. Submit answers the bare task object (with latency 0 a
fraction of submits, `state["instant_fraction"]`, are already `succeeded`), the query wraps it in
`{code: "success", message, data}`.

Where the document is silent the simulator answers like a new-api style gateway: errors on submit are
`{"error": {"message", "type", "code"}}` with an HTTP status, errors on query are `{"code", "message", "data": null}`;
an empty balance is HTTP 403 `insufficient_user_quota`; the "error_200" fault answers
`{"code": "internal_error" | "rate_limit_exceeded", "message", "data": null}` with HTTP 200. NanoBanana models
take only `n=1` (the stricter of the document's two readings). A "partial" task of gpt-image-2 with n > 1
succeeds with fewer images than asked (the document bills "实际上游返回的结果数量"); a failed task refunds its
quota. The ledger charges `n` per task (one per image requested).
"""

from __future__ import annotations

import random
import time
from typing import Any

from PIL import Image

from studio.simulator import images
from studio.simulator.core import BadRequest, Request, Response, SimTask, Simulator, json_response

VENDOR = "imagetasks"
DEMO_CREDENTIALS = {"api_key": "sk-demo-imagetasks"}

NANO_FORMATS = {
    "NanoBanana": ("png", "jpeg", "webp"),
    **{f"NanoBanana2-{tier}": ("png", "jpeg") for tier in ("0.5K", "1K", "2K", "4K")},
    **{f"NanoBananaPro-{tier}": ("png", "jpeg") for tier in ("1K", "2K", "4K", "8K")},
}
GPT = "gpt-image-2"
MODELS = (*NANO_FORMATS, GPT)
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
GPT_FORMATS = ("png", "jpeg", "webp")
QUALITIES = ("low", "medium", "high")
_SIZE_LIST = """1024x768 768x1024 1344x1024 1024x1344 1280x1024 1024x1280 1360x768 768x1360 1536x864 864x1536 1024x1024
    1536x1024 1024x1536 2048x1024 1024x2048 2016x864 864x2016 1920x1080 1080x1920 1536x1536 2048x1360 1360x2048
    2048x1536 1536x2048 2160x1440 1440x2160 2048x1152 1152x2048 2688x1344 1344x2688 2688x1152 1152x2688 2560x1440
    1440x2560 2048x2048 2560x2048 2048x2560 2880x2880 3264x2448 2448x3264 3504x2336 2336x3504 3840x1920 1920x3840
    3840x1648 1648x3840 3840x2160 2160x3840"""
GPT_SIZES = frozenset(_SIZE_LIST.split())  # §5.5, copied from the document independently of the adapter
TASK_TYPES = ("text2image", "image2image")
ERRORS_IN_BODY = {  # a new-api style gateway's errors sent with HTTP 200 (the "error_200" fault)
    500: {"code": "internal_error", "message": "上游服务内部错误，请稍后再试"},
    429: {"code": "rate_limit_exceeded", "message": "当前分组上游负载已饱和，请稍后再试"},
}


class Refused(Exception):
    """A submit the vendor answers with an error; becomes `{"error": {...}}` with `status`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def register(sim: Simulator) -> None:
    state = sim.state.setdefault(VENDOR, {})
    state.update(credentials=dict(DEMO_CREDENTIALS), balance=10_000, instant_fraction=0.2)
    sim.rate_limit_bodies[VENDOR] = lambda: _error(429, "rate_limit_exceeded", "当前分组上游负载已饱和，请稍后再试")
    sim.error_200_bodies[VENDOR] = lambda status: {**ERRORS_IN_BODY[status], "data": None}

    @sim.route(VENDOR, "POST", r"/v1/images/tasks")
    def submit(request: Request) -> Response:
        try:
            _check_auth(request, state)
            fields, upload = _read_body(request)
            task_request = _checked(fields, upload)
            _charge(sim, state, task_request["n"])
        except Refused as refused:
            return _error(refused.status, refused.code, refused.message)
        task = sim.add_task(VENDOR, lambda: _make_results(sim, task_request), charge=task_request["n"], **task_request)
        instant = sim.latency == 0 and random.random() < state["instant_fraction"]
        return json_response(_task_object(sim, state, task) if instant else _queued(task))

    @sim.route(VENDOR, "GET", r"/v1/images/tasks/(?P<task_id>[\w\-]+)")
    def query(request: Request, task_id: str) -> Response:
        try:
            _check_auth(request, state)
        except Refused as refused:
            return json_response({"code": refused.code, "message": refused.message, "data": None}, refused.status)
        task = sim.tasks.get(task_id)
        if task is None or task.vendor != VENDOR:
            return json_response({"code": "task_not_exist", "message": "task_not_exist", "data": None}, 404)
        return json_response({"code": "success", "message": "", "data": _task_object(sim, state, task)})


# Requests --------------------------------------------------------------------------------------


def _check_auth(request: Request, state: dict[str, Any]) -> None:
    header = request.headers.get("authorization", "")
    if not header:
        raise Refused(401, "missing_api_key", "未提供令牌")
    if header != f"Bearer {state['credentials']['api_key']}":
        raise Refused(401, "invalid_api_key", "无效的令牌")


def _read_body(request: Request) -> tuple[dict[str, Any], tuple[str, bytes, str] | None]:
    """JSON or multipart fields, and the uploaded `image` file if any."""
    try:
        if request.content_type == "multipart/form-data":
            fields, files = request.form()
            upload = files.pop("image", None)
            if files:
                raise Refused(400, "invalid_request", f"unknown file field(s): {', '.join(files)}")
            return _typed_form(fields), upload
        body = request.json()
    except BadRequest as error:
        raise Refused(400, "invalid_request", str(error)) from None
    if not isinstance(body, dict):
        raise Refused(400, "invalid_request", "request body must be a JSON object")
    return body, None


def _typed_form(fields: dict[str, str]) -> dict[str, Any]:
    """Multipart sends every field as text; `n` is read as the integer it stands for."""
    typed: dict[str, Any] = dict(fields)
    if typed.get("n", "").strip().isdigit():
        typed["n"] = int(typed["n"])
    return typed


def _checked(fields: dict[str, Any], upload: tuple[str, bytes, str] | None) -> dict[str, Any]:
    """The document's rules; returns what the task needs (model, prompt, size, format, n, inputs)."""
    model = _text(fields, "model")
    if model not in MODELS:
        raise Refused(400, "model_not_found", f"model {model!r} is not available")
    prompt = _text(fields, "prompt")
    references = _references(fields, upload)
    task_type = fields.get("task_type") or ("image2image" if references else "text2image")
    if task_type not in TASK_TYPES:
        raise Refused(400, "invalid_request", "task_type must be text2image or image2image")
    if task_type == "image2image" and not references:
        raise Refused(400, "invalid_request", "image2image needs image or images")
    response_format = fields.get("response_format", "url")
    if response_format != "url":
        raise Refused(400, "invalid_request", "response_format must be url")
    checks = _gpt_fields if model == GPT else _nano_fields
    return {
        "model": model,
        "prompt": prompt,
        "task_type": task_type,
        "inputs": [_open_reference(reference) for reference in references] if task_type == "image2image" else [],
        **checks(model, fields),
    }


def _gpt_fields(model: str, fields: dict[str, Any]) -> dict[str, Any]:
    if fields.get("aspect_ratio") not in (None, ""):
        raise Refused(400, "invalid_request", "gpt-image-2 does not support aspect_ratio; use size")
    size = fields.get("size")
    if not size:
        raise Refused(400, "invalid_request", "size is required for gpt-image-2")
    if size not in GPT_SIZES:
        raise Refused(400, "invalid_request", f"size {size!r} is not supported by gpt-image-2")
    quality = fields.get("quality") or "medium"
    if quality not in QUALITIES:
        raise Refused(400, "invalid_request", "quality must be one of low, medium, high")
    output_format = _output_format(fields, GPT_FORMATS, model)
    n = _n(fields)
    if not 1 <= n <= 8:
        raise Refused(400, "invalid_request", "n must be between 1 and 8 for gpt-image-2")
    width, height = (int(side) for side in size.split("x"))
    return {"size": (width, height), "quality": quality, "output_format": output_format, "n": n, "ratio": None}


def _nano_fields(model: str, fields: dict[str, Any]) -> dict[str, Any]:
    ratio = fields.get("aspect_ratio") or None
    if ratio is not None and ratio not in ASPECT_RATIOS:
        raise Refused(400, "invalid_request", f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}")
    output_format = _output_format(fields, NANO_FORMATS[model], model)
    if _n(fields) != 1:
        raise Refused(400, "invalid_request", f"{model} generates one image per task; n must be 1")
    return {"size": None, "quality": None, "output_format": output_format, "n": 1, "ratio": ratio}


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(400, "invalid_request", f"{name} is required")
    return value


def _n(fields: dict[str, Any]) -> int:
    value = fields.get("n", 1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(400, "invalid_request", "n must be an integer")
    return value


def _output_format(fields: dict[str, Any], allowed: tuple[str, ...], model: str) -> str:
    value = fields.get("output_format") or "png"
    if value not in allowed:
        raise Refused(400, "invalid_request", f"{model} supports output_format {' / '.join(allowed)}")
    return value


def _references(fields: dict[str, Any], upload: tuple[str, bytes, str] | None) -> list[Any]:
    """URLs (str) and uploaded files (tuple), in order; `image` and `images` are never mixed."""
    image, many = fields.get("image"), fields.get("images")
    if upload is not None and image is not None:
        raise Refused(400, "invalid_request", "image is sent twice (file and URL)")
    if (image is not None or upload is not None) and many is not None:
        raise Refused(400, "invalid_request", "do not mix image and images; use image for one, images for several")
    if upload is not None:
        return [upload]
    if image is not None:
        if not isinstance(image, str) or not image:
            raise Refused(400, "invalid_request", "image must be an image URL")
        return [image]
    if many is None:
        return []
    if not isinstance(many, list) or not many or not all(isinstance(url, str) and url for url in many):
        raise Refused(400, "invalid_request", "images must be a non-empty array of image URLs")
    return list(many)


def _open_reference(reference: str | tuple[str, bytes, str]) -> Image.Image:
    try:
        if isinstance(reference, tuple):
            return images.open_image(reference[1])
        return images.fetch_image(reference)
    except images.InputError as error:
        raise Refused(400, "invalid_image", f"参考图无法读取: {error}") from None


def _charge(sim: Simulator, state: dict[str, Any], count: int) -> None:
    with sim.lock:
        if state["balance"] < count:
            raise Refused(403, "insufficient_user_quota", f"用户额度不足, 剩余额度: {state['balance']}")
        state["balance"] -= count


# Results ---------------------------------------------------------------------------------------


def _make_results(sim: Simulator, task: dict[str, Any]) -> list[str]:
    size = _output_size(task)
    urls = []
    for variant in range(task["n"]):
        if task["inputs"]:
            image = images.restyle(task["inputs"][0], task["prompt"], size=size, variant=variant)
            image = _with_insets(image, task["inputs"][1:])
        else:
            image = images.generate(task["prompt"], size, variant=variant)
        content, content_type = images.encode(image, task["output_format"])
        urls.append(sim.store_file(content, content_type, suffix=f".{task['output_format']}"))
    return urls


def _output_size(task: dict[str, Any]) -> tuple[int, int]:
    """The requested size or ratio, kept within MAX_SIDE so the demo stays quick (0.5K models stay at 512)."""
    if task["size"]:
        width, height = task["size"]
        return task["size"] if max(width, height) <= images.MAX_SIDE else images.canvas_for((width, height))
    fallback = task["inputs"][0].size if task["inputs"] else (1, 1)
    long_side = 512 if task["model"].endswith("0.5K") else images.MAX_SIDE
    return images.canvas_for(images.parse_ratio(task["ratio"], fallback), long_side)


def _with_insets(image: Image.Image, others: list[Image.Image]) -> Image.Image:
    """Further references shown as small insets along the bottom, so each visibly took part."""
    side = max(16, min(image.size) // 6)
    for index, other in enumerate(others):
        box = (8 + index * (side + 8), image.height - side - 8, side, side)
        image = images.composite(image, other, box)
    return image


# Answers ---------------------------------------------------------------------------------------


def _queued(task: SimTask) -> dict[str, Any]:
    return _task_shape(task, "queued", "0%")


def _task_object(sim: Simulator, state: dict[str, Any], task: SimTask) -> dict[str, Any]:
    phase = task.phase()
    if phase == "queued":
        return _queued(task)
    if phase == "running":
        done = (time.monotonic() - task.created) / task.latency if task.latency else 1
        return _task_shape(task, "processing", f"{min(95, max(10, int(done * 100)))}%")
    if phase == "fail":
        _refund(sim, state, task)
        return _task_shape(
            task, "failed", "100%", error={"code": "generation_failed", "message": "图片生成失败: 上游模型未返回结果"}
        )
    urls = task.results()
    if phase == "partial" and len(urls) > 1:
        urls = urls[: len(urls) // 2]
    return _task_shape(task, "succeeded", "100%", urls=urls)


def _task_shape(task: SimTask, status: str, progress: str, *, urls=(), error=None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"task_type": task.data["task_type"], "result_count": len(urls)}
    if len(urls) > 1:
        metadata["result_urls"] = list(urls)
    return {
        "task_id": task.id,
        "status": status,
        "progress": progress,
        "result_url": urls[0] if urls else None,
        "metadata": metadata,
        "error": error,
    }


def _refund(sim: Simulator, state: dict[str, Any], task: SimTask) -> None:
    with sim.lock:
        if not task.data.get("refunded"):
            task.data["refunded"] = True
            state["balance"] += task.data["n"]
            sim.record_refund(task.id, task.data["n"])


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"message": message, "type": "new_api_error", "code": code}}, status)
