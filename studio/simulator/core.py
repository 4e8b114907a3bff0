"""The simulator's engine: routing, fake tasks that move through time, faults, and result files.

Each vendor module (`studio/simulator/<kind>.py`) registers its routes on a `Simulator` and speaks
its vendor's wire format exactly; this module knows nothing of any vendor's format.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from studio.simulator.multipart import MalformedMultipart, parse_form

FAULTS = (
    "rate_limit",
    "server_error",
    "malformed_json",
    "slow",
    "fail_task",
    "partial_failure",
    "expired_results",
    "cut_answer",
    "slow_answer",
    "gateway_error",
    "error_200",
)
# The faults that decide what a request is answered; one request takes at most one of them.
ANSWER_FAULTS = (
    "rate_limit",
    "server_error",
    "error_200",
    "gateway_error",
    "malformed_json",
    "cut_answer",
    "slow_answer",
)
# Answer faults that let the vendor handle the request (create and charge a task) before spoiling the answer.
AFTER_HANDLING = ("malformed_json", "cut_answer", "slow_answer")
STATUSES = {  # the statuses each kind may take; the first is its default
    "server_error": (500, 501, 502, 503, 504),
    "gateway_error": (502, 504),
    "error_200": (500, 429),
}
CUT_MODES = ("reset", "truncated")


class BadRequest(Exception):
    """The request does not parse as the content type it claims; vendor modules turn it into their error."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        if self.content_type != "application/json":
            raise BadRequest(f"expected application/json, got {self.content_type or 'no content type'}")
        try:
            return json.loads(self.body or b"null")
        except ValueError as error:
            raise BadRequest(f"malformed JSON: {error}") from None

    def form(self) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
        """multipart/form-data as (fields, files); files map a field name to (filename, bytes, content type)."""
        if self.content_type != "multipart/form-data":
            raise BadRequest(f"expected multipart/form-data, got {self.content_type or 'no content type'}")
        try:
            return parse_form(self.headers["content-type"], self.body)
        except (MalformedMultipart, UnicodeDecodeError) as error:
            raise BadRequest(f"malformed multipart body: {error}") from None

    def query_value(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    hold: float = 0.0  # seconds to wait before sending (the "slow_answer" fault)
    cut: bool = False  # send the headers and half the body, then close the connection ("cut_answer" reset)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8")


def text_response(payload: str, status: int = 200) -> Response:
    return Response(status, payload.encode(), "text/plain; charset=utf-8")


def gateway_page(status: int) -> Response:
    """The HTML error page an nginx gateway in front of a vendor sends (502 Bad Gateway, 504 Gateway Time-out)."""
    title = f"{status} {'Gateway Time-out' if status == 504 else HTTPStatus(status).phrase}"
    page = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
    page += "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    return Response(status, page.encode(), "text/html")


@dataclass
class Route:
    vendor: str
    method: str
    pattern: re.Pattern
    handler: Callable[..., Response]


@dataclass
class Fault:
    kind: str
    vendor: str = "*"
    endpoint: str = ""  # a substring of the path; empty matches every path
    times: int = 1  # used up by count when `rate` is 0
    rate: float = 0.0  # > 0: fires on each matching request with this probability and is never used up
    seconds: float = 0.0  # "slow" (before handling) and "slow_answer" (after handling)
    status: int | None = None  # server_error 500 (or 5xx), gateway_error 502|504, error_200 500|429
    mode: str = "reset"  # cut_answer: "reset" (connection closed mid-body) or "truncated" (half the JSON)
    processed: bool = True  # gateway_error: whether the vendor handled the request behind the gateway
    with_message: bool = True  # fail_task: whether the failed task's answer says why (imagewash)

    def __post_init__(self):
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(FAULTS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.mode not in CUT_MODES:
            raise ValueError(f"mode must be one of {', '.join(CUT_MODES)}")
        allowed = STATUSES.get(self.kind)
        if allowed:
            self.status = allowed[0] if self.status is None else self.status
            if self.status not in allowed:
                raise ValueError(f"{self.kind} takes status {', '.join(map(str, allowed))}")
        elif self.status is not None:
            raise ValueError(f"{self.kind} takes no status")

    @property
    def reaches_vendor(self) -> bool:
        """Whether the vendor handles the request (creating and charging a task) before the fault shows."""
        return self.kind in AFTER_HANDLING or (self.kind == "gateway_error" and self.processed)


@dataclass
class LedgerEntry:
    """A billable task a vendor created, in the vendor's own unit of charge."""

    vendor: str
    task_id: str
    key: str | None  # the client's idempotency key, where the vendor has one
    charged: float
    refunded: float = 0
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))


@dataclass
class SimTask:
    """A vendor task whose state is a function of time since it was submitted."""

    id: str
    vendor: str
    created: float
    latency: float
    make_results: Callable[[], list[Any]]
    outcome: str = "succeed"  # succeed | fail | partial
    fail_quietly: bool = False  # a failure whose answer gives no reason ("fail_task" with_message false)
    canceled: bool = False
    data: dict[str, Any] = field(default_factory=dict)  # whatever the vendor module keeps
    _results: list[Any] | None = None

    def phase(self, now: float | None = None) -> str:
        """queued → running → done, over the simulator's latency."""
        if self.canceled:
            return "canceled"
        elapsed = (now or time.monotonic()) - self.created
        if elapsed < self.latency * 0.2:
            return "queued"
        if elapsed < self.latency:
            return "running"
        return self.outcome

    def results(self) -> list[Any]:
        """Made once, when first asked for after the task is done (deriving images costs time)."""
        if self._results is None:
            self._results = self.make_results()
        return self._results


@dataclass
class StoredFile:
    content: bytes
    content_type: str
    expires: float | None


class Simulator:
    def __init__(self, *, latency: float = 3.0, public_url: str = "http://127.0.0.1:8100", seed: int | None = None):
        self.latency = latency
        self.seed = seed
        self.random = random.Random(seed)  # draws every rate fault, so a seed replays the same misbehaviour
        self.errors_as_200: set[str] = set()  # vendors whose JSON error answers come with HTTP 200
        self.public_url = public_url.rstrip("/")
        self.lock = threading.RLock()
        self.routes: list[Route] = []
        self.tasks: dict[str, SimTask] = {}
        self.files: dict[str, StoredFile] = {}
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.ledger: dict[str, LedgerEntry] = {}  # task id → what the vendor created and charged
        self.rate_limit_bodies: dict[str, Callable[[], Response]] = {}  # each vendor's own 429 answer
        # Each vendor's error body for an "error_200" fault, by the fault's status (500 or 429); sent with HTTP 200.
        self.error_200_bodies: dict[str, Callable[[int], Any]] = {}
        self.state: dict[str, dict[str, Any]] = {}  # per vendor: accepted credentials, balances…
        self.verbose = False
        self._ids = itertools.count(1)
        self._register_control_routes()

    # Registration ------------------------------------------------------------------------------

    def route(self, vendor: str, method: str, path: str):
        """Decorator: `path` is a regex matched against the whole path; named groups become kwargs."""

        def register(handler):
            self.routes.append(Route(vendor, method, re.compile(f"^{path}$"), handler))
            return handler

        return register

    # Tasks and files ---------------------------------------------------------------------------

    def new_id(self, prefix: str = "") -> str:
        return f"{prefix}{next(self._ids):06d}{secrets.token_hex(4)}"

    def add_task(
        self,
        vendor: str,
        make_results: Callable[[], list[Any]],
        *,
        prefix: str = "task_",
        charge: float = 0,
        idempotency_key: str | None = None,
        public_id: str | None = None,
        **data,
    ) -> SimTask:
        """A billable task the vendor created, entered in the ledger with its charge in the vendor's unit.

        `public_id` is the id the vendor hands out when it is not the task's own (suchuang's taskNo).
        """
        with self.lock:
            outcome, quiet = "succeed", False
            failure = self._take_fault(vendor, "", "fail_task")
            if failure:
                outcome, quiet = "fail", not failure.with_message
            elif self._take_fault(vendor, "", "partial_failure"):
                outcome = "partial"
            task = SimTask(
                self.new_id(prefix), vendor, time.monotonic(), self.latency, make_results, outcome, quiet, data=data
            )
            self.tasks[task.id] = task
            self.ledger[task.id] = LedgerEntry(vendor, public_id or task.id, idempotency_key, charge)
            return task

    def record_refund(self, task_id: str, amount: float) -> None:
        with self.lock:
            entry = self.ledger.get(task_id)
            if entry is not None and amount:
                entry.refunded += amount

    def ledger_summary(self) -> dict[str, dict[str, Any]]:
        """Per vendor: how many billable tasks it created, what it charged and refunded, and each task."""
        with self.lock:
            vendors = sorted({route.vendor for route in self.routes} - {"_control"})
            summary = {vendor: {"created": 0, "charged": 0, "refunded": 0, "tasks": []} for vendor in vendors}
            for entry in self.ledger.values():
                books = summary.setdefault(entry.vendor, {"created": 0, "charged": 0, "refunded": 0, "tasks": []})
                books["created"] += 1
                books["charged"] += entry.charged
                books["refunded"] += entry.refunded
                books["tasks"].append(
                    {
                        "id": entry.task_id,
                        "key": entry.key,
                        "charged": entry.charged,
                        "refunded": entry.refunded,
                        "created_at": entry.created_at,
                    }
                )
            return summary

    def store_file(self, content: bytes, content_type: str, *, ttl: float | None = None, suffix: str = "") -> str:
        """Keeps a result file and returns the URL the vendor would hand out for it."""
        token = secrets.token_urlsafe(12) + suffix
        with self.lock:
            expires = time.time() + ttl if ttl is not None else None
            self.files[token] = StoredFile(content, content_type, expires)
        return f"{self.public_url}/_files/{token}"

    # Faults and counting -----------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def reseed(self, seed: int | None) -> None:
        with self.lock:
            self.seed = seed
            self.random = random.Random(seed)

    def _take_fault(self, vendor: str, path: str, *kinds: str) -> Fault | None:
        """The first fault of these kinds that fires on this request, in the order the faults were added."""
        with self.lock:
            for fault in list(self.faults):
                matches = fault.kind in kinds and fault.vendor in ("*", vendor) and fault.endpoint in path
                if matches and self._fires(fault):
                    return fault
        return None

    def _fires(self, fault: Fault) -> bool:
        if fault.rate > 0:
            return self.random.random() < fault.rate
        fault.times -= 1
        if fault.times <= 0:
            self.faults.remove(fault)
        return True

    def reset(self) -> None:
        """Forgets tasks, files, faults, calls and the ledger, and restarts the random draws from the seed."""
        with self.lock:
            self.tasks.clear()
            self.files.clear()
            self.faults.clear()
            self.calls.clear()
            self.ledger.clear()
            self.errors_as_200.clear()
            self.random = random.Random(self.seed)

    # Dispatch ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match and route.method == request.method:
                return self._dispatch(route, request, match.groupdict())
        if any(route.pattern.match(request.path) for route in self.routes):
            return json_response({"error": "method not allowed"}, 405)
        return json_response({"error": f"no such endpoint: {request.method} {request.path}"}, 404)

    def _dispatch(self, route: Route, request: Request, kwargs: dict[str, str]) -> Response:
        if route.vendor == "_control":
            return route.handler(request, **kwargs)
        self.calls[f"{route.vendor} {request.method} {route.pattern.pattern.strip('^$')}"] += 1
        self.calls[route.vendor] += 1
        slow = self._take_fault(route.vendor, request.path, "slow")
        if slow:
            time.sleep(slow.seconds)
        fault = self._take_fault(route.vendor, request.path, *ANSWER_FAULTS)
        if fault and not fault.reaches_vendor:
            return self._refusal(fault, route.vendor)
        response = route.handler(request, **kwargs)
        if route.vendor in self.errors_as_200 and response.status >= 400 and "json" in response.content_type:
            response = replace(response, status=200)  # the error stays in the body, as many vendors send it
        return self._spoiled(fault, response) if fault else response

    def _refusal(self, fault: Fault, vendor: str) -> Response:
        """The answer to a request the vendor never handled."""
        if fault.kind == "rate_limit":
            maker = self.rate_limit_bodies.get(vendor)
            return maker() if maker else json_response({"message": "Too Many Requests"}, 429)
        if fault.kind == "error_200":
            maker = self.error_200_bodies.get(vendor)
            return json_response(maker(fault.status) if maker else {"code": fault.status, "message": "error"})
        if fault.kind == "gateway_error":
            return gateway_page(fault.status)
        return text_response(HTTPStatus(fault.status).phrase, fault.status)

    def _spoiled(self, fault: Fault, response: Response) -> Response:
        """The vendor's answer after it handled the request, spoiled on its way back."""
        if fault.kind == "malformed_json":
            return Response(200, b'{"code": 200, "data": {', "application/json")
        if fault.kind == "gateway_error":
            return gateway_page(fault.status)
        if fault.kind == "slow_answer":
            return replace(response, hold=fault.seconds)
        if fault.mode == "truncated":
            return replace(response, body=response.body[: len(response.body) // 2])
        return replace(response, cut=True)

    def _register_control_routes(self) -> None:
        @self.route("_control", "GET", r"/_files/(?P<token>[\w\-.]+)")
        def serve_file(request, token):
            with self.lock:
                stored = self.files.get(token)
            expired = self._take_fault("*", "", "expired_results")
            if stored is None or expired or (stored.expires is not None and time.time() > stored.expires):
                return text_response("the link has expired or does not exist", 404)
            return Response(200, stored.content, stored.content_type)

        @self.route("_control", "POST", r"/_simulator/faults")
        def add_fault(request):
            try:
                self.add_fault(Fault(**request.json()))
            except (TypeError, ValueError, BadRequest) as error:
                return json_response({"error": str(error)}, 400)
            return json_response({"faults": len(self.faults)})

        @self.route("_control", "POST", r"/_simulator/config")
        def configure(request):
            settings = request.json()
            if "latency" in settings:
                self.latency = float(settings["latency"])
            if "seed" in settings:
                self.reseed(settings["seed"])
            if "errors_as_200" in settings:
                self.errors_as_200 = set(settings["errors_as_200"])
            return json_response(
                {"latency": self.latency, "seed": self.seed, "errors_as_200": sorted(self.errors_as_200)}
            )

        @self.route("_control", "GET", r"/_simulator/ledger")
        def ledger(request):
            return json_response(self.ledger_summary())

        @self.route("_control", "POST", r"/_simulator/reset")
        def reset(request):
            self.reset()
            return json_response({"reset": True})

        @self.route("_control", "GET", r"/_simulator/calls")
        def calls(request):
            return json_response(dict(self.calls))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # http.server otherwise stalls ~40 ms per small response
    simulator: Simulator

    def _serve(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {name.lower(): value for name, value in self.headers.items()},
            body,
        )
        try:
            response = self.simulator.handle(request)
        except BadRequest as error:
            response = json_response({"error": str(error)}, 400)
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a "slow_answer")
            self.close_connection = True

    def _send(self, response: Response) -> None:
        if response.hold:
            time.sleep(response.hold)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.cut:  # the full length announced, half of it sent: the client sees the connection drop
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            return
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):  # quiet by default; the command turns it on
        if self.simulator.verbose:
            super().log_message(format, *args)


def make_server(simulator: Simulator, host: str = "127.0.0.1", port: int = 8100) -> ThreadingHTTPServer:
    handler = type("SimulatorHandler", (_Handler,), {"simulator": simulator})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
