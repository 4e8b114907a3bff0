"""All vendor traffic goes through here (after saleor's http_client and healthchecks' lib/curl).

- timeouts per phase, no redirects, bounded response size;
- result downloads refused for private, loopback and link-local addresses unless the host:port is
  listed in settings.VENDOR_ALLOWED_PRIVATE_HOSTS (the simulator in development and tests);
- every secret of the account is redacted from log lines and error messages;
- failures come back as VendorError with a class, never as a swallowed empty answer, and with what the
  vendor can have done: a call that never connected is NOT_SENT; one that broke after the request went
  out (read timeout, reset, cut body) is UNKNOWN, since the vendor may have acted on it.

Known limit: the address check resolves the name before httpx connects, so a DNS answer that
changes in between (rebinding) is not caught; vendors' result hosts are public CDNs.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import httpx
from django.conf import settings

from studio.vendors.base import ErrorClass, Outcome, VendorError

logger = logging.getLogger(__name__)

TAGS = re.compile(r"<[^>]*>")
# Raised before a single byte of the request left: the vendor cannot have done anything.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
# Loading the CA bundle costs ~50 ms: once per process, not once per adapter.
TLS_CONTEXT = ssl.create_default_context(cafile=certifi.where())


def default_timeout() -> httpx.Timeout:
    return httpx.Timeout(connect=5.0, read=settings.VENDOR_READ_TIMEOUT_SECONDS, write=60.0, pool=5.0)


@dataclass(frozen=True)
class VendorResponse:
    status: int
    headers: httpx.Headers
    content: bytes
    elapsed_ms: float

    def json(self):
        """The body as JSON; a body that is not JSON is the vendor's fault and worth a retry."""
        try:
            return json.loads(self.content)
        except ValueError:
            snippet = self.summary
            raise VendorError(
                ErrorClass.TRANSIENT, f"malformed JSON from vendor: {snippet!r}", http_status=self.status
            ) from None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def summary(self) -> str:
        """The body in a few words for a message: a gateway's HTML error page becomes its text."""
        text = self.content[:2000].decode("utf-8", "replace")
        if "<" in text[:200]:
            text = TAGS.sub(" ", text)
        return " ".join(text.split())[:200]


class VendorHttp:
    def __init__(
        self,
        *,
        secrets: list[str] = (),
        timeout: httpx.Timeout | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ):
        self.secrets = [secret for secret in secrets if secret]
        self.max_response_bytes = max_response_bytes
        self._client_options = {
            "timeout": timeout or default_timeout(),
            "follow_redirects": False,
            "transport": transport,
            "verify": TLS_CONTEXT,
            "headers": {"User-Agent": "Studio/1.0"},
        }
        self._per_thread = threading.local()
        self._clients: list[httpx.Client] = []

    @property
    def client(self) -> httpx.Client:
        """This thread's client. One shared by a worker's step threads made them queue for its connection pool's
        lock (a third of a step's time at 16 threads); each thread keeps its own connections alive instead."""
        client = getattr(self._per_thread, "client", None)
        if client is None:
            client = self._per_thread.client = httpx.Client(**self._client_options)
            self._clients.append(client)
        return client

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def request(self, method: str, url: str, **kwargs) -> VendorResponse:
        """One API call. Network trouble and oversize bodies raise VendorError (transient)."""
        return self._send(method, url, limit=self.max_response_bytes, **kwargs)

    def download(self, url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """A result file. Private addresses are refused unless allowed; redirects are not followed."""
        self.check_public(url)
        response = self._send("GET", url, limit=max_bytes)
        if response.status != 200:
            error_class = ErrorClass.PERMANENT if response.status in (403, 404, 410) else ErrorClass.TRANSIENT
            raise VendorError(
                error_class, f"result download answered HTTP {response.status}", http_status=response.status
            )
        return response.content

    def check_public(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise VendorError(ErrorClass.PERMANENT, f"not a downloadable URL: {self.redact(url)!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if f"{parts.hostname}:{port}" in settings.VENDOR_ALLOWED_PRIVATE_HOSTS:
            return
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
        except socket.gaierror:
            raise VendorError(ErrorClass.TRANSIENT, f"cannot resolve {parts.hostname}") from None
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global:
                raise VendorError(
                    ErrorClass.PERMANENT, f"refused to download from a private address ({parts.hostname} → {ip})"
                )

    def _send(self, method: str, url: str, *, limit: int, **kwargs) -> VendorResponse:
        started = time.monotonic()
        safe_url = self.redact(url)
        try:
            with self.client.stream(method, url, **kwargs) as response:
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > limit:
                    raise _too_large(limit, response.status_code)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise _too_large(limit, response.status_code)
        except NOT_SENT_ERRORS as error:
            message = self.redact(f"{type(error).__name__}: {error}")
            logger.warning("%s %s not sent: %s", method, safe_url, message)
            raise VendorError(
                ErrorClass.TRANSIENT, f"could not reach the vendor ({message})", outcome=Outcome.NOT_SENT
            ) from None
        except httpx.TimeoutException as error:
            logger.warning("%s %s timed out (%s)", method, safe_url, type(error).__name__)
            raise VendorError(
                ErrorClass.TRANSIENT,
                f"the vendor did not answer in time ({type(error).__name__})",
                outcome=Outcome.UNKNOWN,
            ) from None
        except httpx.HTTPError as error:
            message = self.redact(f"{type(error).__name__}: {error}")
            logger.warning("%s %s failed: %s", method, safe_url, message)
            raise VendorError(
                ErrorClass.TRANSIENT, f"the vendor's answer was lost ({message})", outcome=Outcome.UNKNOWN
            ) from None
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info("%s %s → %s in %.0f ms", method, safe_url, response.status_code, elapsed_ms)
        return VendorResponse(response.status_code, response.headers, bytes(body), elapsed_ms)

    def close(self) -> None:
        while self._clients:
            self._clients.pop().close()


def _too_large(limit: int, status: int) -> VendorError:
    return VendorError(ErrorClass.TRANSIENT, f"the vendor's answer is larger than {limit} bytes", http_status=status)
