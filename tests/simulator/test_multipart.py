"""The simulator's multipart/form-data reader, against bodies httpx writes (as the adapters send them)."""

import httpx
import pytest

from studio.simulator.multipart import MalformedMultipart, parse_form


def _encoded(**kwargs) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://vendor.test/", **kwargs)
    return request.headers["content-type"], request.read()


def test_fields_and_files_come_back_as_sent():
    content_type, body = _encoded(
        data={"prompt": '白色背景 "studio"\r\nline two', "count": "2"},
        files={
            "image": ("连衣裙 front.png", b"\x89PNG\r\n\r\n--binary", "image/png"),
            "mask": ("m.jpg", b"", "image/jpeg"),
        },
    )
    fields, files = parse_form(content_type, body)
    assert fields == {"prompt": '白色背景 "studio"\r\nline two', "count": "2"}
    assert files == {
        "image": ("连衣裙 front.png", b"\x89PNG\r\n\r\n--binary", "image/png"),
        "mask": ("m.jpg", b"", "image/jpeg"),
    }


def test_an_rfc_5987_filename_is_decoded():
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=utf-8''%E8%A3%99.png\r\n"
        f"Content-Type: image/png\r\n\r\nxyz\r\n--{boundary}--\r\n"
    ).encode()
    assert parse_form(f"multipart/form-data; boundary={boundary}", body)[1] == {"file": ("裙.png", b"xyz", "image/png")}


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        ("multipart/form-data", b"--x\r\n\r\n--x--", "no boundary"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1', "closing"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n--x--', "blank line"),
        ("multipart/form-data; boundary=x", b"--x\r\nno colon here\r\n\r\n1\r\n--x--", "part header"),
    ],
)
def test_a_malformed_body_is_refused_with_the_reason(content_type, body, problem):
    with pytest.raises(MalformedMultipart, match=problem):
        parse_form(content_type, body)
