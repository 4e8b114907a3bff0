"""Simulator of imagewash (seeds/000_8ac371944547d8f6.txt, and the common result endpoint in VENDORS.md).

- `POST /api/third-party/imageWash/generate`, JSON only, header `X-API-Token`; fetches every product and
  reference URL, charges unitCoins per child task from the balance in `sim.state["imagewash"]["coins"]`, and
  answers the document's shape (`taskId`, `status`, `totalTasks`, `cost`, `items[]`…).
- `GET /api/third-party/common/result?taskId=…` answers `{taskId, status, results: [{fileUrl, fileType}],
  resultImageUrls, recordId}`; results come in the children's order: product-major, then reference, then count.

Choices where the document is silent: every answer, errors included, is the envelope `{code, message, data,
timestamp}` with the HTTP status equal to `code` (401 bad token, 400 bad field, 402 "余额不足", 404 unknown
task, 429 queue full). An input that cannot be downloaded refuses the whole submit (400 "图片下载失败").
The "partial_failure" fault fails every second child (the only child, when there is one, which makes the task
`failed`); coins of failed children are refunded when the task ends (seen at the next result query).
The result answer's message is "success" whatever the task's status, as the real vendor's is; a failed task
carries `errorMessage` unless the "fail_task" fault says `with_message: false` (the real vendor often gives
none). The "error_200" fault answers the envelope with HTTP 200 and code 500 or 429 in the body.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageOps

from studio.simulator import images
from studio.simulator.core import BadRequest, SimTask, Simulator, json_response

VENDOR = "imagewash"
DEMO_CREDENTIALS = {"api_token": "imagewash-demo-token"}
STARTING_COINS = 100_000

MODELS = ("nanoBanana2", "nanoBananaPro")
RESOLUTIONS = ("1k", "2k", "4k")
ASPECT_RATIOS = ("auto", "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
MAX_PRODUCTS = 100
MAX_SUBTASKS = 100
UNIT_COINS = {"nanoBanana2": {"1k": 4, "2k": 4, "4k": 8}, "nanoBananaPro": {"1k": 8, "2k": 8, "4k": 16}}
LONG_SIDE = {"1k": 512, "2k": 768, "4k": 1024}  # small stand-ins, but each resolution visibly bigger
ERROR_MESSAGES = {500: "服务器内部错误,请稍后重试", 429: "提交队列已满,请稍后重试"}  # "error_200" bodies
STATUS_BY_PHASE = {
    "queued": "pending",
    "running": "processing",
    "succeed": "completed",
    "partial": "partial_failed",
    "fail": "failed",
    "canceled": "failed",
}


class Refused(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Order:
    model: str
    prompt: str
    products: list[str]
    references: list[str]
    resolution: str
    aspect_ratio: str
    count: int

    @property
    def children(self) -> list[tuple[int, int | None, int]]:
        """(product, reference, variant) per child task, in the vendor's order."""
        references = range(len(self.references)) if self.references else [None]
        return [
            (product, reference, variant)
            for product in range(len(self.products))
            for reference in references
            for variant in range(self.count)
        ]

    @property
    def unit_coins(self) -> int:
        return UNIT_COINS[self.model][self.resolution]


def register(sim: Simulator) -> None:
    sim.state[VENDOR] = {**DEMO_CREDENTIALS, "coins": STARTING_COINS}
    sim.rate_limit_bodies[VENDOR] = lambda: envelope(429, "提交队列已满,请稍后重试")
    sim.error_200_bodies[VENDOR] = lambda code: envelope_body(code, ERROR_MESSAGES[code])

    @sim.route(VENDOR, "POST", r"/api/third-party/imageWash/generate")
    def generate(request):
        try:
            check_token(sim, request)
            order = parse_order(request.json())
            inputs = fetch_inputs(order)
            charge(sim, order.unit_coins * len(order.children))
        except BadRequest:
            return envelope(400, "请求体必须是 JSON (Content-Type: application/json)")
        except Refused as refused:
            return envelope(refused.code, refused.message)
        task = sim.add_task(
            VENDOR,
            lambda: wash_all(sim, order, *inputs),
            charge=order.unit_coins * len(order.children),
            order=order,
            record_id=record_id(),
        )
        return envelope(200, "批量洗图任务已提交", submitted(task, order))

    @sim.route(VENDOR, "GET", r"/api/third-party/common/result")
    def result(request):
        try:
            check_token(sim, request)
            task = find_task(sim, request.query_value("taskId"))
        except Refused as refused:
            return envelope(refused.code, refused.message)
        return envelope(200, "success", task_answer(sim, task))


def envelope(code: int, message: str, data: Any = None):
    return json_response(envelope_body(code, message, data), code)


def envelope_body(code: int, message: str, data: Any = None) -> dict:
    timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"code": code, "message": message, "data": data, "timestamp": timestamp}


def check_token(sim: Simulator, request) -> None:
    token = request.headers.get("x-api-token", "")
    if not token:
        raise Refused(401, "缺少 X-API-Token")
    if not secrets.compare_digest(token, sim.state[VENDOR]["api_token"]):
        raise Refused(401, "X-API-Token 无效或已过期")


def parse_order(body: Any) -> Order:
    if not isinstance(body, dict):
        raise Refused(400, "请求体必须是 JSON 对象")
    model = body.get("model") or "nanoBanana2"
    if model not in MODELS:
        raise Refused(400, f"model 仅支持 {'、'.join(MODELS)}")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Refused(400, "prompt 不能为空")
    products = url_list(body, "productImages", required=True)
    if len(products) > MAX_PRODUCTS:
        raise Refused(400, f"productImages 最多 {MAX_PRODUCTS} 张,当前 {len(products)} 张")
    references = url_list(body, "referenceImages", required=False)
    resolution = body.get("resolution") or "2k"
    if resolution not in RESOLUTIONS:
        raise Refused(400, f"resolution 仅支持 {'、'.join(RESOLUTIONS)}")
    aspect_ratio = body.get("aspectRatio") or "auto"
    if aspect_ratio not in ASPECT_RATIOS:
        raise Refused(400, f"aspectRatio 不支持 {aspect_ratio!r}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int | float) or count != int(count) or count < 1:
        raise Refused(400, "count 必须为大于等于 1 的整数")
    order = Order(model, prompt, products, references, resolution, aspect_ratio, int(count))
    if len(order.children) > MAX_SUBTASKS:
        raise Refused(400, f"单次最多生成 {MAX_SUBTASKS} 个子任务,当前 {len(order.children)} 个,请拆批提交")
    return order


def url_list(body: dict, name: str, *, required: bool) -> list[str]:
    value = body.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(url, str) and url for url in value):
        raise Refused(400, f"{name} 必须是图片 URL 数组")
    if required and not value:
        raise Refused(400, f"{name} 不能为空")
    return value


def fetch_inputs(order: Order) -> tuple[list[Image.Image], list[Image.Image]]:
    def fetch(url: str) -> Image.Image:
        try:
            return images.fetch_image(url)
        except images.InputError:
            raise Refused(400, f"图片下载失败或不是有效图片: {url}") from None

    return [fetch(url) for url in order.products], [fetch(url) for url in order.references]


def charge(sim: Simulator, coins: int) -> None:
    with sim.lock:
        account = sim.state[VENDOR]
        if account["coins"] < coins:
            raise Refused(402, f"余额不足,需要 {coins} 金币,当前余额 {account['coins']}")
        account["coins"] -= coins


def record_id() -> str:
    return secrets.token_hex(12)


def submitted(task: SimTask, order: Order) -> dict:
    children = order.children
    task.data["items"] = [
        {
            "childTaskId": f"{task.id}_{number}",
            "recordId": record_id(),
            "status": "pending",
            "productImage": order.products[product],
            **({"referenceImage": order.references[reference]} if reference is not None else {}),
        }
        for number, (product, reference, _variant) in enumerate(children, start=1)
    ]
    return {
        "taskId": task.id,
        "recordId": task.data["record_id"],
        "status": "pending",
        "totalTasks": len(children),
        "submittedTasks": len(children),
        "failedSubmissions": 0,
        "estimatedTime": "30-120秒",
        "cost": {"unitCoins": order.unit_coins, "chargedCoins": order.unit_coins * len(children), "refundedCoins": 0},
        "items": task.data["items"],
    }


def find_task(sim: Simulator, task_id: str) -> SimTask:
    if not task_id:
        raise Refused(400, "缺少参数 taskId")
    task = sim.tasks.get(task_id)
    if task is None or task.vendor != VENDOR:
        raise Refused(404, "任务不存在")
    return task


def task_answer(sim: Simulator, task: SimTask) -> dict:
    phase = task.phase()
    order: Order = task.data["order"]
    urls: list[str] = []
    if phase in ("succeed", "partial"):
        failed = failed_children(len(order.children)) if phase == "partial" else set()
        urls = [url for number, url in enumerate(task.results()) if number not in failed]
        refund(sim, task, len(order.children) - len(urls))
        if not urls:
            phase = "fail"
    elif phase in ("fail", "canceled"):
        refund(sim, task, len(order.children))
    answer = {
        "taskId": task.id,
        "status": STATUS_BY_PHASE[phase],
        "results": [{"fileUrl": url, "fileType": "image"} for url in urls],
        "resultImageUrls": urls,
        "recordId": task.data["record_id"],
    }
    if phase == "fail" and not task.fail_quietly:  # real imagewash often fails with no reason at all
        answer["errorMessage"] = "洗图失败:模型生成异常,已退还金币"
    return answer


def failed_children(count: int) -> set[int]:
    """Which children a partial failure fails: every second one, or the only one."""
    return {0} if count == 1 else set(range(1, count, 2))


def refund(sim: Simulator, task: SimTask, failed: int) -> None:
    with sim.lock:
        if task.data.get("settled"):
            return
        task.data["settled"] = True
        coins = failed * task.data["order"].unit_coins
        sim.state[VENDOR]["coins"] += coins
        sim.record_refund(task.id, coins)


def wash_all(sim: Simulator, order: Order, products: list[Image.Image], references: list[Image.Image]) -> list[str]:
    urls = []
    for product, reference, variant in order.children:
        washed = wash(products[product], None if reference is None else references[reference], order, variant)
        content, content_type = images.encode(washed, "JPEG")
        urls.append(sim.store_file(content, content_type, suffix=".jpg"))
    return urls


def wash(product: Image.Image, reference: Image.Image | None, order: Order, variant: int) -> Image.Image:
    """The product restyled after the prompt, on a canvas of the requested ratio, toned by the reference."""
    ratio = images.parse_ratio(order.aspect_ratio, product.size)
    size = images.canvas_for(ratio, LONG_SIDE[order.resolution])
    washed = images.restyle(product, order.prompt, size=size, variant=variant)
    if reference is not None:
        scene = ImageOps.fit(reference.convert("RGB"), size)
        washed = Image.blend(washed, scene, 0.3)
    return washed
