"""The simulator's engine: routing, fake tasks that move through time, faults, and result files.

Each vendor module (`studio/simulator/<kind>.py`) registers its routes on a `Simulator` and speaks
its vendor's wire format exactly; this module knows nothing of any vendor's format.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("rate_limit", "server_error", "malformed_json", "slow", "fail_task", "partial_failure", "expired_results")


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
        header = f"Content-Type: {self.headers['content-type']}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + self.body)
        if not message.is_multipart():
            raise BadRequest("malformed multipart body")
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None:
                continue
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (filename, payload, part.get_content_type())
            else:
                fields[name] = payload.decode("utf-8")
        return fields, files

    def query_value(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8")


def text_response(payload: str, status: int = 200) -> Response:
    return Response(status, payload.encode(), "text/plain; charset=utf-8")


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
    times: int = 1
    seconds: float = 0.0  # for "slow"
    status: int = 500  # for "server_error"


@dataclass
class SimTask:
    """A vendor task whose state is a function of time since it was submitted."""

    id: str
    vendor: str
    created: float
    latency: float
    make_results: Callable[[], list[Any]]
    outcome: str = "succeed"  # succeed | fail | partial
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
    def __init__(self, *, latency: float = 3.0, public_url: str = "http://127.0.0.1:8100"):
        self.latency = latency
        self.public_url = public_url.rstrip("/")
        self.lock = threading.RLock()
        self.routes: list[Route] = []
        self.tasks: dict[str, SimTask] = {}
        self.files: dict[str, StoredFile] = {}
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.rate_limit_bodies: dict[str, Callable[[], Response]] = {}  # each vendor's own 429 answer
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

    def add_task(self, vendor: str, make_results: Callable[[], list[Any]], *, prefix: str = "task_", **data) -> SimTask:
        with self.lock:
            outcome = "succeed"
            if self._take_fault(vendor, "", "fail_task"):
                outcome = "fail"
            elif self._take_fault(vendor, "", "partial_failure"):
                outcome = "partial"
            task = SimTask(
                self.new_id(prefix), vendor, time.monotonic(), self.latency, make_results, outcome, data=data
            )
            self.tasks[task.id] = task
            return task

    def store_file(self, content: bytes, content_type: str, *, ttl: float | None = None, suffix: str = "") -> str:
        """Keeps a result file and returns the URL the vendor would hand out for it."""
        token = secrets.token_urlsafe(12) + suffix
        with self.lock:
            expires = time.time() + ttl if ttl is not None else None
            self.files[token] = StoredFile(content, content_type, expires)
        return f"{self.public_url}/_files/{token}"

    # Faults and counting -----------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        if fault.kind not in FAULTS:
            raise ValueError(f"unknown fault {fault.kind!r}; known: {', '.join(FAULTS)}")
        with self.lock:
            self.faults.append(fault)

    def _take_fault(self, vendor: str, path: str, kind: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.kind == kind and fault.vendor in ("*", vendor) and fault.endpoint in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def reset(self) -> None:
        with self.lock:
            self.tasks.clear()
            self.files.clear()
            self.faults.clear()
            self.calls.clear()

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
        if self._take_fault(route.vendor, request.path, "rate_limit"):
            return self._rate_limited(route.vendor)
        server_error = self._take_fault(route.vendor, request.path, "server_error")
        if server_error:
            return text_response("Internal Server Error", server_error.status)
        response = route.handler(request, **kwargs)
        if self._take_fault(route.vendor, request.path, "malformed_json"):
            return Response(200, b'{"code": 200, "data": {', "application/json")
        return response

    def _rate_limited(self, vendor: str) -> Response:
        maker = self.rate_limit_bodies.get(vendor)
        return maker() if maker else json_response({"message": "Too Many Requests"}, 429)

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
            return json_response({"latency": self.latency})

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
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
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
