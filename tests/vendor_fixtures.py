"""Fixtures for vendor and simulator tests: a recorder of the exact requests an adapter sends, an image host on
loopback for inputs, and the simulator serving over real HTTP."""

import io
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image

from studio.simulator.core import Simulator, make_server
from studio.vendors.base import ErrorClass, Outcome
from studio.vendors.http import VendorHttp


class Recorder:
    """An httpx transport that keeps every request and answers from a queue of responses."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response | type[httpx.TransportError]] = []

    def answer(self, *, json=None, status=200, content: bytes | None = None, headers=None):
        if json is not None:
            self.responses.append(httpx.Response(status, json=json, headers=headers))
        else:
            self.responses.append(httpx.Response(status, content=content or b"", headers=headers))

    def fail(self, error_type: type[httpx.TransportError]):
        """The next call breaks in the transport (httpx.ConnectError, httpx.ReadTimeout…) instead of answering."""
        self.responses.append(error_type)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        response = self.responses.pop(0)
        if isinstance(response, type):
            raise response("simulated transport failure", request=request)
        return response

    def give(self, answer):
        """One case of a table: an exception type to raise, or (HTTP status, JSON value or raw bytes)."""
        if isinstance(answer, type):
            return self.fail(answer)
        status, body = answer
        if isinstance(body, bytes):
            return self.answer(status=status, content=body)
        return self.answer(status=status, json=body)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def http(self, secrets=()) -> VendorHttp:
        return VendorHttp(secrets=list(secrets), transport=httpx.MockTransport(self))


GATEWAY_PAGE = (
    b"<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def gateway_page(status: int, reason: str) -> bytes:
    return GATEWAY_PAGE % (status, reason.encode(), status, reason.encode())


def transport_outcomes(cut_body: bytes) -> list:
    """What every vendor's submit must make of a broken answer, whatever its wire format: (answer, class, outcome).

    `cut_body` is the vendor's own success answer cut short.
    """
    transient = ErrorClass.TRANSIENT
    return [
        pytest.param((502, gateway_page(502, "Bad Gateway")), transient, Outcome.UNKNOWN, id="502-html"),
        pytest.param((504, gateway_page(504, "Gateway Time-out")), transient, Outcome.UNKNOWN, id="504-html"),
        pytest.param((500, b"Internal Server Error"), transient, Outcome.UNKNOWN, id="500-text"),
        pytest.param((200, cut_body), transient, Outcome.UNKNOWN, id="cut-body"),
        pytest.param((503, gateway_page(503, "Service Temporarily Unavailable")), transient, Outcome.REFUSED, id="503"),
        pytest.param(httpx.ConnectError, transient, Outcome.NOT_SENT, id="connect-error"),
        pytest.param(httpx.ReadTimeout, transient, Outcome.UNKNOWN, id="read-timeout"),
    ]


@pytest.fixture
def recorder():
    return Recorder()


def png_bytes(size=(64, 48), colour=(200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def image_host(tmp_path, settings):
    """Serves files written into it over loopback HTTP, as the studio's signed input URLs would."""
    folder = tmp_path / "inputs"
    folder.mkdir()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    class Host:
        def put(self, name: str, data: bytes | None = None) -> str:
            (folder / name).write_bytes(data if data is not None else png_bytes())
            return f"{base}/{name}"

        def url(self, name: str) -> str:
            return f"{base}/{name}"

    yield Host()
    server.shutdown()


@pytest.fixture
def run_simulator(settings):
    """Starts a simulator with the given vendor modules registered; returns its base URL and engine."""
    servers = []

    def start(*modules, latency: float = 0.3) -> tuple[str, Simulator]:
        server = make_server(Simulator(latency=latency), port=0)
        port = server.server_address[1]
        simulator = server.RequestHandlerClass.simulator
        simulator.public_url = f"http://127.0.0.1:{port}"
        for module in modules:
            module.register(simulator)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        settings.VENDOR_ALLOWED_PRIVATE_HOSTS = [*settings.VENDOR_ALLOWED_PRIVATE_HOSTS, f"127.0.0.1:{port}"]
        return simulator.public_url, simulator

    yield start
    for server in servers:
        server.shutdown()
