"""Simulated 灵图 (lingtu) AIGC synthesis API, after the vendor document seeds/004_66e13161b930e2ec.txt.

Speaks the document's wire format: JSON bodies with its field names, a bare job id (a JSON string) from each
submit, `{status, message, url, text, format}` from `/aigc/job/result` with statuses waiting → executing →
succeed | failed | Canceled, comma-separated result URLs that expire after 12 hours, cancel only while
waiting, and the two catalogues (backgrounds, model faces) with real preview images.

Decisions where the document is silent (the adapter reads the same shapes):
- Signature: `X-App-Key` + `X-Signature` = hex HMAC-SHA256(secret, raw body), or the unofficial SDK's
  `appId`, `timestamp`, `salt`, `sign` = SHA-256 hex of appId + path + salt + timestamp + secret (timestamp in
  seconds, within 5 minutes). Either is accepted with DEMO_CREDENTIALS; anything else answers HTTP 401
  `{"code": 401, "message": "签名校验失败"}`.
- Business errors (800000–800004) answer HTTP 200 with `{"code", "message"}`; malformed requests (not JSON,
  missing or mistyped fields, fields the document does not name, bad `num` or garment type) answer HTTP 400
  with code 400; an unknown job id answers HTTP 404 with code 404.
- Width/height outside 400–1280, or a background or mask whose size is not the canvas's (the document asks
  for the same size; a catalogue background named by `bgId` is exempt) → 800004 宽高比错误; an empty or
  unfetchable image → 800002; an unknown `faceId` or `bgId` → 800003 风格错误; a product placed outside the
  canvas → 400.
- Every input URL is fetched at submit. Each submit uses `num` generations from
  `sim.state["lingtu"]["generations"]` (800000 when too few are left); a cancelled job gives them back.
- The same `requestId` answers the same job id without fetching or charging again (one ledger entry; each
  job is charged `num` generations there, its own unit, and a cancel refunds them).
- The "error_200" fault answers `{"code": 500|429, "message"}` with HTTP 200, like its business errors.
- A task failing by fault ends `failed` with a message; a "partial" fault ends `succeed` with fewer URLs.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from studio.simulator import images
from studio.simulator.core import BadRequest, Response, SimTask, Simulator, json_response

VENDOR = "lingtu"
DEMO_CREDENTIALS = {"app_key": "lt-demo-app", "secret": "lt-demo-secret-2f9c41"}
STARTING_GENERATIONS = 1000
RESULT_TTL = 12 * 3600
SIGNATURE_MAX_AGE = 300  # seconds a `timestamp` header may be off
CANVAS_MIN, CANVAS_MAX = 400, 1280
NUM_CHOICES = (1, 2, 4)
GARMENT_TYPES = ("dresses", "upperBody", "lowerBody")
FAILURE_MESSAGE = "生成失败：图片中未识别到完整商品"

BACKGROUNDS = (  # id, category, sky/wall colour, ground colour
    ("bg_indoor_01", "indoor", (236, 226, 210), (168, 132, 98)),
    ("bg_indoor_02", "indoor", (214, 226, 232), (122, 124, 130)),
    ("bg_outdoor_01", "outdoor", (150, 196, 240), (104, 160, 84)),
    ("bg_outdoor_02", "outdoor", (246, 190, 140), (214, 186, 140)),
    ("bg_simplicity_01", "simplicity", (246, 240, 236), (204, 186, 172)),
    ("bg_simplicity_02", "simplicity", (224, 236, 228), (168, 194, 180)),
)
FACES = (  # id, gender (the document's spelling), skin, age
    ("face_f_yellow_adult", "female", "yellow", "adult"),
    ("face_m_yellow_adult", "Male", "yellow", "adult"),
    ("face_f_white_adult", "female", "white", "adult"),
    ("face_m_black_adult", "Male", "black", "adult"),
    ("face_f_yellow_child", "female", "yellow", "child"),
    ("face_m_white_child", "Male", "white", "child"),
)
SKIN_COLOURS = {"yellow": (238, 204, 164), "white": (250, 222, 206), "black": (124, 84, 58)}

# Where each kind of garment goes on the model, as shares of the model image (x, y, width, height).
GARMENT_BOXES = {
    "upperBody": (0.27, 0.22, 0.46, 0.32),
    "lowerBody": (0.30, 0.52, 0.40, 0.40),
    "dresses": (0.27, 0.22, 0.46, 0.66),
}


class LingtuError(Exception):
    def __init__(self, code: int, message: str, http_status: int = 200):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def response(self) -> Response:
        return json_response({"code": self.code, "message": self.message}, self.http_status)


def bad_request(message: str) -> LingtuError:
    return LingtuError(400, message, 400)


IMAGE_ERROR = (800002, "图片不能为空或无法访问")
SIZE_ERROR = (800004, "宽高比错误")
ERROR_MESSAGES = {500: "系统异常，请稍后重试", 429: "任务队列已满，请稍后重试"}  # the "error_200" fault


@dataclass
class Job:
    """A validated submit: how many generations it takes and how to make its images."""

    num: int
    make_images: Callable[[], list[Image.Image]]


def register(sim: Simulator) -> None:
    sim.state[VENDOR] = {
        **DEMO_CREDENTIALS,
        "generations": STARTING_GENERATIONS,
        "jobs": {},  # requestId → job id
        "catalogue": None,  # made on first use (the files would not survive sim.reset())
    }
    sim.rate_limit_bodies[VENDOR] = lambda: LingtuError(429, "请求过于频繁，请稍后再试", 429).response()
    sim.error_200_bodies[VENDOR] = lambda code: {"code": code, "message": ERROR_MESSAGES[code]}

    def endpoint(handler):
        def wrapped(request, **kwargs):
            try:
                _check_signature(sim, request)
                return handler(request, **kwargs)
            except LingtuError as error:
                return error.response()

        return wrapped

    for path, reader in (
        ("/aigc/synthesis/change-background", _read_change_background),
        ("/aigc/synthesis/model", _read_ai_model),
        ("/aigc/synthesis/dress", _read_try_on),
    ):
        sim.route(VENDOR, "POST", path)(endpoint(lambda request, reader=reader: _submit(sim, request, reader)))

    @sim.route(VENDOR, "POST", r"/aigc/job/result")
    @endpoint
    def job_result(request):
        body = _json_object(request, allowed={"jobId"})
        return json_response(_result_body(_task(sim, _required_text(body, "jobId"))))

    @sim.route(VENDOR, "POST", r"/aigc/job/cancel")
    @endpoint
    def cancel(request):
        body = _json_object(request, allowed={"jobId", "reason"})
        job_id = _required_text(body, "jobId")
        if not isinstance(body.get("reason", ""), str):
            raise bad_request("reason必须为字符串")
        return json_response(_cancel(sim, job_id))

    @sim.route(VENDOR, "GET", r"/aigc/synthesis/change-background/bgs")
    @endpoint
    def backgrounds(request):
        return json_response({"bgs": _catalogue(sim)["bgs"]})

    @sim.route(VENDOR, "GET", r"/aigc/synthesis/model/faces")
    @endpoint
    def faces(request):
        return json_response({"faces": _catalogue(sim)["faces"]})


# Signature ------------------------------------------------------------------------------------------


def _check_signature(sim: Simulator, request) -> None:
    state = sim.state[VENDOR]
    headers = request.headers
    if "sign" in headers:
        valid = _sdk_signature_valid(state, request.path, headers)
    else:
        expected = hmac.new(state["secret"].encode(), request.body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(headers.get("x-app-key", ""), state["app_key"]) and hmac.compare_digest(
            headers.get("x-signature", ""), expected
        )
    if not valid:
        raise LingtuError(401, "签名校验失败", 401)


def _sdk_signature_valid(state: dict[str, Any], path: str, headers: dict[str, str]) -> bool:
    app_id, timestamp, salt = headers.get("appid", ""), headers.get("timestamp", ""), headers.get("salt", "")
    if not (timestamp.isdigit() and salt) or abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    expected = hashlib.sha256(f"{app_id}{path}{salt}{timestamp}{state['secret']}".encode()).hexdigest()
    return hmac.compare_digest(app_id, state["app_key"]) and hmac.compare_digest(headers["sign"], expected)


# Submits --------------------------------------------------------------------------------------------


def _submit(sim: Simulator, request, read: Callable[[Simulator, dict[str, Any]], Job]) -> Response:
    body = _json_object(request, allowed=None)
    request_id = body.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise bad_request("requestId不能为空")
    if len(request_id) > 100:
        raise bad_request("requestId长度不能超过100")
    state = sim.state[VENDOR]
    with sim.lock:
        known = state["jobs"].get(request_id)
    if known:
        return json_response(known)
    job = read(sim, body)  # fetches the inputs: outside the lock, the catalogue images are served by this server
    with sim.lock:
        if state["jobs"].get(request_id):
            return json_response(state["jobs"][request_id])
        if state["generations"] < job.num:
            raise LingtuError(800000, "剩余生成次数不足")
        state["generations"] -= job.num
        task = sim.add_task(
            VENDOR,
            lambda: _store(sim, job.make_images()),
            prefix="",
            charge=job.num,
            idempotency_key=request_id,
            num=job.num,
        )
        state["jobs"][request_id] = task.id
    return json_response(task.id)


def _read_change_background(sim: Simulator, body: dict[str, Any]) -> Job:
    _only_fields(
        body,
        {"requestId", "width", "height", "goods", "background", "productSmartColor", "referenceStrong", "num"},
    )
    width, height = _required_int(body, "width"), _required_int(body, "height")
    if not (CANVAS_MIN <= width <= CANVAS_MAX and CANVAS_MIN <= height <= CANVAS_MAX):
        raise LingtuError(800004, "宽高比错误")
    num = _num(body)
    goods = _required_object(body, "goods", {"url", "x", "y", "width", "height"})
    box = tuple(_required_int(goods, name, where="goods.") for name in ("x", "y", "width", "height"))
    x, y, box_width, box_height = box
    if x < 0 or y < 0 or box_width < 1 or box_height < 1 or x + box_width > width or y + box_height > height:
        raise bad_request("商品位置超出画布范围")
    background = _required_object(body, "background", {"bgId", "url", "mask"})
    if "bgId" in background and background["bgId"] not in {row["id"] for row in _catalogue(sim)["bgs"]}:
        raise LingtuError(800003, "风格错误")
    smart_colour = _optional_bool(body, "productSmartColor")
    strong_reference = _optional_bool(body, "referenceStrong")
    product = _fetch(goods.get("url"))
    scene = _fetch(background.get("url"), keep_size=True)
    mask = _fetch(background["mask"], keep_size=True) if "mask" in background else None
    # "图片大小需与结果图的宽高保持一致"; a catalogue background (bgId) is the vendor's own to scale.
    sized = ([] if "bgId" in background else [scene]) + ([mask] if mask is not None else [])
    if any(image.size != (width, height) for image in sized):
        raise LingtuError(*SIZE_ERROR)

    def make_images() -> list[Image.Image]:
        canvas = _scene(scene, (width, height), mask, strong_reference)
        item = _match_colours(product, canvas) if smart_colour else product
        return [_variant(images.composite(canvas, item, box), n) for n in range(num)]

    return Job(num, make_images)


def _read_ai_model(sim: Simulator, body: dict[str, Any]) -> Job:
    _only_fields(body, {"requestId", "model", "faceId", "background", "num"})
    face_id = _required_text(body, "faceId")
    num = _num(body)
    if face_id not in {row["id"] for row in _catalogue(sim)["faces"]}:
        raise LingtuError(800003, "风格错误")
    model = _fetch(body.get("model"))
    background = _fetch(body["background"]) if body.get("background") is not None else None

    def make_images() -> list[Image.Image]:
        results = []
        for n in range(num):
            dressed = images.restyle(model, f"lingtu face {face_id}", variant=n)
            if background is not None:
                canvas = background.convert("RGB").resize(dressed.size)
                inset = (dressed.width // 10, dressed.height // 10, dressed.width * 8 // 10, dressed.height * 8 // 10)
                dressed = images.composite(canvas, dressed, inset)
            results.append(dressed)
        return results

    return Job(num, make_images)


def _read_try_on(sim: Simulator, body: dict[str, Any]) -> Job:
    _only_fields(body, {"requestId", "model", "dresses", "num"})
    dresses = body.get("dresses")
    if not isinstance(dresses, list) or not dresses:
        raise bad_request("dresses不能为空")
    num = _num(body)
    garments = []
    for dress in dresses:
        if not isinstance(dress, dict) or set(dress) - {"image", "type"}:
            raise bad_request("dresses格式错误")
        if dress.get("type") not in GARMENT_TYPES:
            raise bad_request("服饰类型错误，可选值：dresses、upperBody、lowerBody")
        garments.append((dress["type"], dress.get("image")))
    model = _fetch(body.get("model"))
    fetched = [(kind, _fetch(url)) for kind, url in garments]

    def make_images() -> list[Image.Image]:
        dressed = model.convert("RGB")
        for kind, garment in fetched:
            share = GARMENT_BOXES[kind]
            box = (
                round(share[0] * dressed.width),
                round(share[1] * dressed.height),
                round(share[2] * dressed.width),
                round(share[3] * dressed.height),
            )
            dressed = images.composite(dressed, _without_white(garment), box)
        return [_variant(dressed, n) for n in range(num)]

    return Job(num, make_images)


# Jobs -----------------------------------------------------------------------------------------------


def _task(sim: Simulator, job_id: str) -> SimTask:
    task = sim.tasks.get(job_id)
    if task is None or task.vendor != VENDOR:
        raise LingtuError(404, "任务不存在", 404)
    return task


def _result_body(task: SimTask) -> dict[str, Any]:
    phase = task.phase()
    answer: dict[str, Any] = {"status": "", "message": None, "url": None, "text": None, "format": None}
    if phase == "queued":
        answer["status"] = "waiting"
    elif phase == "running":
        answer["status"] = "executing"
    elif phase == "canceled":
        answer["status"] = "Canceled"
    elif phase == "fail":
        answer.update(status="failed", message=FAILURE_MESSAGE)
    else:
        urls = task.results()
        if phase == "partial":
            urls = urls[: max(1, len(urls) // 2)]
        answer.update(status="succeed", url=",".join(urls), format="png")
    return answer


def _cancel(sim: Simulator, job_id: str) -> dict[str, Any]:
    with sim.lock:
        task = sim.tasks.get(job_id)
        if task is None or task.vendor != VENDOR:
            return {"success": False, "message": "任务不存在"}
        if task.phase() != "queued":
            return {"success": False, "message": "只有等待执行的任务才能取消"}
        task.canceled = True
        sim.state[VENDOR]["generations"] += task.data.get("num", 1)
        sim.record_refund(task.id, task.data.get("num", 1))
    return {"success": True, "message": None}


def _store(sim: Simulator, results: list[Image.Image]) -> list[str]:
    urls = []
    for image in results:
        content, content_type = images.encode(image, "PNG")
        urls.append(sim.store_file(content, content_type, ttl=RESULT_TTL, suffix=".png"))
    return urls


# Catalogues -----------------------------------------------------------------------------------------


def _catalogue(sim: Simulator) -> dict[str, list[dict[str, str]]]:
    """Made once, and again after a reset cleared the stored files."""
    state = sim.state[VENDOR]
    with sim.lock:
        catalogue = state["catalogue"]
        if catalogue and all(_token(url) in sim.files for url in catalogue["urls"]):
            return catalogue
        bgs = [
            {"id": bg_id, "category": category, "image": _keep(sim, _background_jpeg(category, top, ground))}
            for bg_id, category, top, ground in BACKGROUNDS
        ]
        faces = [
            {
                "id": face_id,
                "gender": gender,
                "skin": skin,
                "age": age,
                "preview": _keep(sim, _face_jpeg(gender, skin, age)),
            }
            for face_id, gender, skin, age in FACES
        ]
        urls = [row["image"] for row in bgs] + [row["preview"] for row in faces]
        state["catalogue"] = {"bgs": bgs, "faces": faces, "urls": urls}
        return state["catalogue"]


def _keep(sim: Simulator, jpeg: bytes) -> str:
    return sim.store_file(jpeg, "image/jpeg", suffix=".jpg")  # catalogue images do not expire


@functools.cache
def _background_jpeg(category: str, top: tuple[int, int, int], ground: tuple[int, int, int]) -> bytes:
    return images.encode(_background_picture(category, top, ground), "JPEG")[0]


@functools.cache
def _face_jpeg(gender: str, skin: str, age: str) -> bytes:
    return images.encode(_face(gender, skin, age), "JPEG")[0]


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _background_picture(category: str, top: tuple[int, int, int], ground: tuple[int, int, int]) -> Image.Image:
    size = 1024
    picture = images.gradient((size, size), top, tuple(max(0, c - 30) for c in top)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    horizon = int(size * 0.68)
    if category == "indoor":
        draw.rectangle(
            (620, 140, 900, 480), fill=tuple(min(255, c + 18) for c in top), outline=(255, 255, 255), width=8
        )
        draw.rectangle((0, horizon, size, size), fill=ground)
        draw.line((0, horizon, size, horizon), fill=tuple(c // 2 for c in ground), width=6)
    elif category == "outdoor":
        draw.ellipse((740, 90, 900, 250), fill=(255, 240, 190))
        draw.ellipse((-300, horizon - 120, 700, horizon + 500), fill=ground)
        draw.ellipse((400, horizon - 60, 1400, horizon + 500), fill=tuple(max(0, c - 20) for c in ground))
    else:
        draw.ellipse((212, horizon - 60, 812, horizon + 120), fill=ground, outline=tuple(c - 20 for c in ground))
    return picture


def _face(gender: str, skin: str, age: str) -> Image.Image:
    size = 256
    picture = Image.new("RGB", (size, size), (232, 236, 242))
    draw = ImageDraw.Draw(picture)
    hair = (52, 36, 28) if skin != "white" else (196, 150, 80)
    scale = 0.8 if age == "child" else 1.0
    centre, half_width, half_height = size // 2, int(62 * scale), int(80 * scale)
    if gender == "female":
        draw.rounded_rectangle((centre - 88, 50, centre + 88, 250), radius=60, fill=hair)
    draw.rectangle((centre - 40, 190, centre + 40, size), fill=SKIN_COLOURS[skin])
    face = (centre - half_width, 128 - half_height, centre + half_width, 128 + half_height)
    draw.ellipse(face, fill=SKIN_COLOURS[skin])
    draw.pieslice((face[0] - 4, face[1] - 10, face[2] + 4, face[1] + 90), 180, 360, fill=hair)
    eye = int(9 * (1.2 if age == "child" else 1.0))
    for dx in (-26, 26):
        draw.ellipse((centre + dx - eye, 118 - eye, centre + dx + eye, 118 + eye), fill=(40, 30, 30))
    draw.arc((centre - 24, 140, centre + 24, 176), 20, 160, fill=(170, 70, 70), width=4)
    return picture


# Images ---------------------------------------------------------------------------------------------


def _scene(scene: Image.Image, size: tuple[int, int], mask: Image.Image | None, strong: bool) -> Image.Image:
    """The background at the canvas size; a weak reference or the mask's white area only loosely followed."""
    canvas = scene.convert("RGB").resize(size)
    loose = canvas.filter(ImageFilter.GaussianBlur(12))
    if not strong:
        return loose
    if mask is not None:
        return Image.composite(loose, canvas, mask.convert("L").resize(size))
    return canvas


def _match_colours(product: Image.Image, scene: Image.Image) -> Image.Image:
    """Product smart colour: the product tinted a little towards the scene's average colour."""
    item = product.convert("RGBA")
    average = scene.convert("RGB").resize((1, 1)).getpixel((0, 0))
    tinted = Image.blend(item, Image.new("RGBA", item.size, (*average, 255)), 0.15)
    tinted.putalpha(item.getchannel("A"))
    return tinted


def _without_white(garment: Image.Image) -> Image.Image:
    """A garment photographed on white, with the white made transparent so it sits on the model."""
    item = garment.convert("RGBA")
    near_white = item.convert("L").point(lambda value: 0 if value > 235 else 255)
    alpha = Image.composite(item.getchannel("A"), near_white, near_white)
    item.putalpha(alpha)
    return item


def _variant(image: Image.Image, n: int) -> Image.Image:
    """Each of `num` results a little different, as several generations would be."""
    return ImageEnhance.Brightness(image).enhance((1.0, 1.06, 0.94, 1.12)[n % 4])


# Request parsing ------------------------------------------------------------------------------------


def _json_object(request, *, allowed: set[str] | None) -> dict[str, Any]:
    try:
        body = request.json()
    except BadRequest:
        raise bad_request("请求体必须为JSON（Content-Type: application/json）") from None
    if not isinstance(body, dict):
        raise bad_request("请求体必须为JSON对象")
    if allowed is not None:
        _only_fields(body, allowed)
    return body


def _only_fields(body: dict[str, Any], allowed: set[str], where: str = "") -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(f"不支持的参数：{', '.join(where + name for name in unknown)}")


def _required_object(body: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise bad_request(f"{name}不能为空")
    _only_fields(value, allowed, where=f"{name}.")
    return value


def _required_int(body: dict[str, Any], name: str, where: str = "") -> int:
    value = body.get(name)
    if value is None:
        raise bad_request(f"{where}{name}不能为空")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{where}{name}必须为整数")
    return value


def _required_text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"{name}不能为空")
    return value


def _optional_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, True)
    if not isinstance(value, bool):
        raise bad_request(f"{name}必须为布尔值")
    return value


def _num(body: dict[str, Any]) -> int:
    value = body.get("num", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value not in NUM_CHOICES:
        raise bad_request("num可选值：1，2，4")
    return value


def _fetch(url: Any, *, keep_size: bool = False) -> Image.Image:
    if not isinstance(url, str) or not url:
        raise LingtuError(*IMAGE_ERROR)
    try:
        return images.fetch_image(url, max_side=None if keep_size else images.MAX_SIDE)
    except images.InputError:
        raise LingtuError(*IMAGE_ERROR) from None
