"""Simulated hdredraw, after the vendor document seeds/002_ab2ed2c4a78d8f62.txt.

Ten multipart submit endpoints and one multipart status check, all authenticated by the form field `user_key`
and answering `{"err_code": 0|1, ...}` with HTTP 200. Like the vendor, it refuses a wrong key ("账户不存在"),
an exhausted account ("账户剩余次数不足"), a file over 16 MB ("文件大小不能超过16MB") and expand ratios out of
0.0–0.3 ("扩展参数错误:expand_xxx必须在0.0-0.3之间"), and caches each task's status answer for 3 s.

Where the document is silent: a request that is not multipart, a missing field or another out-of-range value
is refused as "参数错误:…" (modelled on the documented expand message; not multipart also answers HTTP 400);
an unreadable image as "任务提交失败:无法读取图像文件"; running tasks report "Pending" then "Processing"; a
failed task reports "Failed" with an err_msg; package runs (`remaining_count`) are used before money
(`remaining_money`, 元); a 429 answers `{"err_code": 1, "err_msg": "请求过于频繁,请稍后再试"}`. The ledger
counts one run of `remaining_count` per task (paid from money or not); nothing is refunded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PIL import Image

from studio.simulator import images
from studio.simulator.core import BadRequest, Request, Response, SimTask, Simulator, json_response

KIND = "hdredraw"
DEMO_CREDENTIALS = {"user_key": "demo-hdredraw-key"}
STATUS_CACHE_SECONDS = 3.0
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
ERROR_MESSAGES = {  # the "error_200" fault, in the document's "任务提交失败:{err_msg}" form
    500: "任务提交失败:服务器内部错误",
    429: "任务提交失败:服务器繁忙,队列已满,请稍后重试",
}
GENERATED_PROMPT = "high quality, detailed, sharp, professional photography, beautiful lighting"

Output = tuple[str, str]  # (response field, value): "image" outputs go to images_url(s), others as named


class Refused(Exception):
    """The vendor's err_msg for a request it does not take (business errors come with HTTP 200)."""

    def __init__(self, message: str, http_status: int = 200):
        super().__init__(message)
        self.http_status = http_status

    def response(self) -> Response:
        return _error(str(self), self.http_status)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | float | int | bool | choice | ratio
    required: bool = False
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    default: Any = None

    def parse(self, raw: str | None) -> Any:
        if raw is None or raw == "":
            if self.required:
                raise Refused(f"参数错误:缺少参数 {self.name}")
            return self.default
        if self.kind == "text":
            return raw
        if self.kind == "bool":
            if raw not in ("true", "false"):
                raise Refused(f"参数错误:{self.name}必须是true或false")
            return raw == "true"
        if self.kind == "choice":
            if raw not in self.choices:
                raise Refused(f"参数错误:{self.name}必须是{'或'.join(self.choices)}")
            return raw
        if self.kind == "ratio":
            return _parse_ratio(self.name, raw)
        return self._number(raw)

    def _number(self, raw: str) -> float | int:
        try:
            number = int(raw) if self.kind == "int" else float(raw)
        except ValueError:
            raise Refused(f"参数错误:{self.name}必须是{'整数' if self.kind == 'int' else '数字'}") from None
        if math.isnan(number) or not self.low <= number <= self.high:
            if self.name.startswith("expand_"):
                raise Refused(f"扩展参数错误:{self.name}必须在0.0-0.3之间")
            raise Refused(f"参数错误:{self.name}必须在{self.low:g}-{self.high:g}之间")
        return number


def _parse_ratio(name: str, raw: str) -> tuple[int, int]:
    width, colon, height = raw.partition(":")
    if colon and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return int(width), int(height)
    raise Refused(f"参数错误:{name}格式应为 宽:高,例如 1:1")


def _expand_fields() -> tuple[Field, ...]:
    return tuple(Field(f"expand_{side}", "float", low=0.0, high=0.3, default=0.0) for side in _SIDES)


_SIDES = ("top", "bottom", "left", "right")
_COLOURS = Field("color_count", "int", low=2, high=16, default=5)


@dataclass(frozen=True)
class Endpoint:
    path: str
    fields: tuple[Field, ...]
    make: Callable[[Simulator, Image.Image, dict[str, Any]], list[Output]]
    price_yuan: int = 1  # charged from remaining_money once the package runs are used up
    multi_image: bool = False  # answers images_urls (extract pattern)


# Results ---------------------------------------------------------------------------------------


def _store_png(sim: Simulator, image: Image.Image) -> str:
    content, content_type = images.encode(image, "PNG")
    return sim.store_file(content, content_type, suffix=".png")


def _store_eps(sim: Simulator, image: Image.Image) -> str:
    content, content_type = images.encode(image, "EPS")
    return sim.store_file(content, content_type, suffix=".eps")


def _make_upscale(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    outputs = [("image", _store_png(sim, images.upscale(product, params["upscale"])))]
    if params["vector_switch"]:
        outputs.append(("vector_url", _store_eps(sim, images.quantize(product, params["color_count"]))))
    if params["auto_generate_prompt"]:
        outputs.append(("generated_prompt", ", ".join(filter(None, [GENERATED_PROMPT, params["prompt"]]))))
    return outputs


def _make_vector(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    flat = images.quantize(product, params["color_count"])
    return [("image", _store_png(sim, flat)), ("vector_url", _store_eps(sim, flat))]


def _make_face_enhance(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    return [("image", _store_png(sim, images.upscale(images.smooth(product), 1.0)))]


def _make_cleaned(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    return [("image", _store_png(sim, images.smooth(product)))]


def _make_seamless(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    expanded = images.expand(product, *(params[f"expand_{side}"] for side in _SIDES))
    tile = images.make_seamless(expanded)
    columns, rows = {0: (2, 2), 1: (1, 2), 2: (2, 1)}[params["direction"]]
    return [
        ("image", _store_png(sim, images.upscale(tile, 2.0))),
        ("grid_url", _store_png(sim, images.grid(tile, columns, rows))),
        ("images_url_1m", _store_png(sim, tile)),
    ]


def _make_edit(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    variant = 1 if params["model_version"] == "v2" else 0
    return [("image", _store_png(sim, images.restyle(product, params["prompt"], variant=variant)))]


def _make_pattern(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    size = images.canvas_for(params["aspect_ratio"], long_side=512)
    prints = [images.make_seamless(images.restyle(product, "print", size=size, variant=n)) for n in range(2)]
    return [("image", _store_png(sim, pattern)) for pattern in prints]


def _make_expand(sim: Simulator, product: Image.Image, params: dict[str, Any]) -> list[Output]:
    expanded = images.expand(product, *(params[f"expand_{side}"] for side in _SIDES))
    return [("image", _store_png(sim, expanded))]


ENDPOINTS = (
    Endpoint(
        "/api/submit_task",
        (
            Field("sdxl_model_dropdown", "text", required=True),
            Field("style_dropdown", "text", required=True),
            Field("upscale", "float", required=True, low=1, high=8),
            Field("s_noise", "float", required=True, low=1, high=1.1),
            Field("steps", "float", required=True, low=20, high=40),
            Field("high_fidelity", "bool", required=True),
            Field("strong_inpaint", "bool", required=True),
            Field("strong_inpaint_intensity", "float", low=0, high=1, default=0.5),
            Field("prompt", "text", default=""),
            Field("neg_prompt", "text", default=""),
            Field("vector_switch", "bool", default=False),
            _COLOURS,
            Field("auto_generate_prompt", "bool", default=False),
        ),
        _make_upscale,
        price_yuan=3,
    ),
    Endpoint("/api/submit_vector_task", (_COLOURS,), _make_vector),
    Endpoint("/api/submit_face_enhance_task", (), _make_face_enhance),
    Endpoint(
        "/api/submit_seamless_task",
        (
            Field("fit", "float", low=0.1, high=0.9, default=0.5),
            Field("direction", "int", low=0, high=2, default=0),
            *_expand_fields(),
        ),
        _make_seamless,
        price_yuan=2,
    ),
    Endpoint("/api/submit_remove_fabric_task", (), _make_cleaned),
    Endpoint(
        "/api/submit_edit_image_task",
        (Field("prompt", "text", required=True), Field("model_version", "choice", choices=("v1", "v2"), default="v1")),
        _make_edit,
        price_yuan=2,
    ),
    Endpoint(
        "/api/submit_extract_pattern_task",
        (Field("aspect_ratio", "ratio", default=(1, 1)),),
        _make_pattern,
        price_yuan=2,
        multi_image=True,
    ),
    Endpoint("/api/submit_remove_diamonds_task", (), _make_cleaned),
    Endpoint(
        "/api/submit_expand_image_task",
        (*_expand_fields(), Field("prompt", "text", default="")),
        _make_expand,
        price_yuan=2,
    ),
    Endpoint("/api/submit_remove_watermark_task", (), _make_cleaned),
)


# Routes ----------------------------------------------------------------------------------------


def register(sim: Simulator) -> None:
    sim.state[KIND] = {
        **DEMO_CREDENTIALS,
        "remaining_count": 100,
        "remaining_money": 300,
        "status_cache_seconds": STATUS_CACHE_SECONDS,  # tests may shorten it
    }
    sim.rate_limit_bodies[KIND] = lambda: _error("请求过于频繁,请稍后再试", 429)
    sim.error_200_bodies[KIND] = lambda status: {"err_code": 1, "err_msg": ERROR_MESSAGES[status]}
    for endpoint in ENDPOINTS:
        sim.route(KIND, "POST", endpoint.path)(partial(_submit, sim, endpoint))
    sim.route(KIND, "POST", "/api/check_task_status")(partial(_check_status, sim))


def _error(message: str, status: int = 200) -> Response:
    return json_response({"err_code": 1, "err_msg": message}, status)


def _read_form(sim: Simulator, request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """The multipart fields and files, once the user_key is known to be this account's."""
    try:
        fields, files = request.form()
    except BadRequest:
        raise Refused("参数错误:请求必须是multipart/form-data", 400) from None
    if fields.get("user_key") != sim.state[KIND]["user_key"]:
        raise Refused("账户不存在")
    return fields, files


def _submit(sim: Simulator, endpoint: Endpoint, request: Request) -> Response:
    try:
        fields, files = _read_form(sim, request)
        if "input_image" not in files:
            raise Refused("参数错误:缺少参数 input_image")
        content = files["input_image"][1]
        if len(content) > MAX_UPLOAD_BYTES:
            raise Refused("文件大小不能超过16MB")
        params = {field.name: field.parse(fields.get(field.name)) for field in endpoint.fields}
        try:
            product = images.open_image(content)
        except images.InputError:
            raise Refused("任务提交失败:无法读取图像文件") from None
        _charge(sim, endpoint)
    except Refused as refusal:
        return refusal.response()
    task = sim.add_task(
        KIND, partial(endpoint.make, sim, product, params), prefix="hd_", charge=1, multi=endpoint.multi_image
    )
    account = sim.state[KIND]
    return json_response(
        {
            "err_code": 0,
            "task_id": task.id,
            "remaining_count": account["remaining_count"],
            "remaining_money": account["remaining_money"],
        }
    )


def _charge(sim: Simulator, endpoint: Endpoint) -> None:
    with sim.lock:
        account = sim.state[KIND]
        if account["remaining_count"] > 0:
            account["remaining_count"] -= 1
        elif account["remaining_money"] >= endpoint.price_yuan:
            account["remaining_money"] -= endpoint.price_yuan
        else:
            raise Refused("账户剩余次数不足")


def _check_status(sim: Simulator, request: Request) -> Response:
    try:
        fields, _files = _read_form(sim, request)
    except Refused as refusal:
        return refusal.response()
    task = sim.tasks.get(fields.get("task_id", ""))
    if task is None or task.vendor != KIND:
        return _error("任务未找到或状态未知")
    cached_at, answer = task.data.get("cached", (None, None))
    now = time.monotonic()
    if cached_at is None or now - cached_at >= sim.state[KIND]["status_cache_seconds"]:
        answer = _status_answer(sim, task)  # outside the engine's lock: making results takes a moment
        task.data["cached"] = (now, answer)
    return json_response(answer)


def _status_answer(sim: Simulator, task: SimTask) -> dict[str, Any]:
    phase = task.phase()
    if phase == "queued":
        return {"err_code": 0, "status": "Pending"}
    if phase == "running":
        return {"err_code": 0, "status": "Processing"}
    if phase == "fail":
        return {"err_code": 0, "status": "Failed", "err_msg": "任务处理失败:模型推理出错"}
    outputs = task.results()
    image_urls = [value for name, value in outputs if name == "image"]
    if phase == "partial":  # only extract pattern gives several images; a partial run gives one
        image_urls = image_urls[:1]
    extra = {name: value for name, value in outputs if name != "image"}
    account = sim.state[KIND]
    answer = {
        "err_code": 0,
        "status": "Completed",
        "images_url": image_urls[0],
        "vector_url": extra.pop("vector_url", ""),
        "grid_url": extra.pop("grid_url", ""),
        **extra,
        "remaining_count": account["remaining_count"],
        "remaining_money": account["remaining_money"],
    }
    if task.data["multi"]:
        answer["images_urls"] = image_urls
    return answer
