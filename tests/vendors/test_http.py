import logging

import httpx
import pytest

from studio.vendors.base import ErrorClass, VendorError
from studio.vendors.http import VendorHttp


def http_answering(handler, secrets=("sk-secret-123",), **kwargs) -> VendorHttp:
    return VendorHttp(secrets=list(secrets), transport=httpx.MockTransport(handler), **kwargs)


def test_redirects_are_not_followed():
    http = http_answering(lambda request: httpx.Response(302, headers={"Location": "http://10.0.0.1/"}))
    response = http.request("GET", "https://vendor.example.com/api")
    assert response.status == 302


def test_an_oversize_answer_is_cut_off_as_a_transient_error():
    http = http_answering(lambda request: httpx.Response(200, content=b"x" * 5000), max_response_bytes=1000)
    with pytest.raises(VendorError) as caught:
        http.request("GET", "https://vendor.example.com/api")
    assert caught.value.error_class == ErrorClass.TRANSIENT
    assert "larger than 1000 bytes" in caught.value.message


def test_a_timeout_is_transient():
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(VendorError) as caught:
        http_answering(slow).request("POST", "https://vendor.example.com/api")
    assert caught.value.error_class == ErrorClass.TRANSIENT


def test_secrets_never_reach_error_messages_or_logs(caplog):
    def refuse(request):
        raise httpx.ConnectError("cannot connect to https://vendor.example.com/?key=sk-secret-123", request=request)

    caplog.set_level(logging.INFO, logger="studio.vendors.http")
    with pytest.raises(VendorError) as caught:
        http_answering(refuse).request("GET", "https://vendor.example.com/?key=sk-secret-123")
    assert "sk-secret-123" not in caught.value.message
    assert "sk-secret-123" not in caplog.text
    assert "***" in caught.value.message


def test_a_body_that_is_not_json_is_a_transient_vendor_fault():
    response = http_answering(lambda request: httpx.Response(200, content=b"<html>oops")).request(
        "GET", "https://vendor.example.com/api"
    )
    with pytest.raises(VendorError) as caught:
        response.json()
    assert caught.value.error_class == ErrorClass.TRANSIENT


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x.png", "http://10.1.2.3/x.png", "http://169.254.169.254/latest", "http://[::1]/x"]
)
def test_downloads_from_private_addresses_are_refused(url, settings):
    settings.VENDOR_ALLOWED_PRIVATE_HOSTS = []
    http = http_answering(lambda request: httpx.Response(200, content=b"image"))
    with pytest.raises(VendorError) as caught:
        http.download(url)
    assert caught.value.error_class == ErrorClass.PERMANENT
    assert "private address" in caught.value.message


def test_an_allowed_simulator_address_may_be_downloaded_from(settings):
    settings.VENDOR_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1:8100"]
    http = http_answering(lambda request: httpx.Response(200, content=b"image-bytes"))
    assert http.download("http://127.0.0.1:8100/_files/abc.png") == b"image-bytes"


@pytest.mark.parametrize(("status", "error_class"), [(404, ErrorClass.PERMANENT), (503, ErrorClass.TRANSIENT)])
def test_a_failed_download_says_whether_to_retry(status, error_class, settings):
    settings.VENDOR_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1:8100"]
    http = http_answering(lambda request: httpx.Response(status))
    with pytest.raises(VendorError) as caught:
        http.download("http://127.0.0.1:8100/_files/gone.png")
    assert caught.value.error_class == error_class
