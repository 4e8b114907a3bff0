"""Faults that make a vendor create (and charge) a task while the client cannot tell: cut, slow and gateway
answers; and errors the vendor sends with HTTP 200 without creating anything."""

import json

import httpx
import pytest

from studio.simulator import imagewash
from studio.simulator.core import Fault
from tests.simulator.raw_calls import CHARGE, VENDORS, created, submit


def books(sim, vendor):
    summary = sim.ledger_summary()[vendor]
    return summary["created"], summary["charged"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_reset_answer_loses_the_answer_but_the_task_was_created_and_charged(vendors, vendor):
    sim, image = vendors
    sim.add_fault(Fault("cut_answer", vendor=vendor))

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        submit(sim, vendor, image)

    assert books(sim, vendor) == (1, CHARGE[vendor])


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_truncated_answer_does_not_parse_but_the_task_was_created_and_charged(vendors, vendor):
    sim, image = vendors
    sim.add_fault(Fault("cut_answer", vendor=vendor, mode="truncated"))

    answer = submit(sim, vendor, image)

    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    assert books(sim, vendor) == (1, CHARGE[vendor])


def test_a_slow_answer_outlasts_the_clients_read_timeout_but_the_task_was_created(vendors):
    sim, image = vendors
    sim.add_fault(Fault("slow_answer", vendor="suchuang", seconds=1.0))

    with pytest.raises(httpx.ReadTimeout):
        submit(sim, "suchuang", image, timeout=httpx.Timeout(5.0, read=0.5))

    assert books(sim, "suchuang") == (1, 30)
    assert submit(sim, "suchuang", image).json()["code"] == 200  # the fault is used up; the server still serves


@pytest.mark.parametrize(("processed", "status", "tasks"), [(True, 502, 1), (False, 504, 0)])
def test_a_gateway_error_is_an_html_page_whether_or_not_the_vendor_handled_the_request(
    vendors, processed, status, tasks
):
    sim, image = vendors
    fault = {"kind": "gateway_error", "vendor": "imagetasks", "processed": processed, "status": status}
    assert httpx.post(sim.public_url + "/_simulator/faults", json=fault).status_code == 200

    answer = submit(sim, "imagetasks", image)

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert f"<h1>{status} " in answer.text and "nginx" in answer.text
    assert created(sim, "imagetasks") == tasks


def test_a_gateway_error_defaults_to_502_after_processing(vendors):
    sim, image = vendors
    sim.add_fault(Fault("gateway_error", vendor="lingtu"))
    assert submit(sim, "lingtu", image).status_code == 502
    assert created(sim, "lingtu") == 1


ERROR_200 = {  # vendor → status → what the body holds besides a message
    "imagewash": {500: {"code": 500, "data": None}, 429: {"code": 429, "data": None}},
    "imagetasks": {500: {"code": "internal_error", "data": None}, 429: {"code": "rate_limit_exceeded", "data": None}},
    "hdredraw": {500: {"err_code": 1}, 429: {"err_code": 1}},
    "suchuang": {500: {"code": 500, "data": None}, 429: {"code": 429, "data": None}},
    "lingtu": {500: {"code": 500}, 429: {"code": 429}},
}


@pytest.mark.parametrize("status", [500, 429])
@pytest.mark.parametrize("vendor", VENDORS)
def test_an_error_sent_with_http_200_uses_the_vendors_envelope_and_creates_nothing(vendors, vendor, status):
    sim, image = vendors
    sim.add_fault(Fault("error_200", vendor=vendor, status=status))

    answer = submit(sim, vendor, image)

    assert answer.status_code == 200
    body = answer.json()
    assert ERROR_200[vendor][status].items() <= body.items()
    message = body.get("message") or body.get("err_msg")
    assert isinstance(message, str) and message
    if vendor == "imagewash":
        assert body["timestamp"].endswith("Z")
    assert created(sim, vendor) == 0


def test_a_server_error_is_never_processed_and_takes_503(vendors):
    sim, image = vendors
    sim.add_fault(Fault("server_error", vendor="hdredraw", status=503))
    assert submit(sim, "hdredraw", image).status_code == 503
    assert created(sim, "hdredraw") == 0


def test_a_request_takes_at_most_one_answer_fault(vendors):
    sim, image = vendors
    sim.add_fault(Fault("cut_answer", vendor="suchuang", mode="truncated"))
    sim.add_fault(Fault("error_200", vendor="suchuang"))

    first = submit(sim, "suchuang", image)
    second = submit(sim, "suchuang", image)

    assert first.status_code == 200 and first.text and not first.text.endswith("}")  # truncated only
    assert second.json()["code"] == 500  # then the error
    assert submit(sim, "suchuang", image).json()["code"] == 200
    assert created(sim, "suchuang") == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "gateway_error", "status": 500},
        {"kind": "error_200", "status": 502},
        {"kind": "cut_answer", "mode": "sideways"},
        {"kind": "rate_limit", "rate": 1.5},
        {"kind": "slow", "status": 500},
    ],
)
def test_faults_with_impossible_fields_are_refused(vendors, fault):
    sim, _image = vendors
    refused = httpx.post(sim.public_url + "/_simulator/faults", json=fault)
    assert refused.status_code == 400 and refused.json()["error"]


@pytest.mark.parametrize("with_message", [True, False])
def test_an_imagewash_failure_may_come_without_an_error_message(vendors, with_message):
    sim, image = vendors
    fault = {"kind": "fail_task", "vendor": "imagewash", "with_message": with_message}
    httpx.post(sim.public_url + "/_simulator/faults", json=fault)
    task_id = submit(sim, "imagewash", image).json()["data"]["taskId"]

    answer = httpx.get(
        sim.public_url + "/api/third-party/common/result",
        params={"taskId": task_id},
        headers={"X-API-Token": imagewash.DEMO_CREDENTIALS["api_token"]},
    ).json()

    assert (answer["code"], answer["message"], answer["data"]["status"]) == (200, "success", "failed")
    assert ("errorMessage" in answer["data"]) is with_message
    assert answer["data"]["resultImageUrls"] == []
