"""The vendor-side ledger: what each vendor created and charged, in its own unit, whatever the client saw."""

import time

import httpx
import pytest

from studio.simulator import imagetasks, imagewash, suchuang
from studio.simulator.core import Fault
from tests.simulator.raw_calls import CHARGE, VENDORS, created, lingtu_post, submit

SUCHUANG = {"Authorization": f"Bearer {suchuang.DEMO_CREDENTIALS['token']}"}


def test_every_vendor_enters_each_task_with_its_charge(vendors):
    sim, image = vendors
    for vendor in VENDORS:
        assert submit(sim, vendor, image).status_code == 200

    summary = httpx.get(sim.public_url + "/_simulator/ledger").json()

    assert summary == sim.ledger_summary()
    for vendor in VENDORS:
        books = summary[vendor]
        assert (books["created"], books["charged"], books["refunded"]) == (1, CHARGE[vendor], 0)
        [task] = books["tasks"]
        assert set(task) == {"id", "key", "charged", "refunded", "created_at"}
        handed_out = sim.state["suchuang"]["task_numbers"] if vendor == "suchuang" else sim.tasks  # its taskNo
        assert task["id"] in handed_out and task["charged"] == CHARGE[vendor]
    assert summary["lingtu"]["tasks"][0]["key"]  # lingtu's requestId; the others have no idempotency key
    assert summary["suchuang"]["tasks"][0]["key"] is None


def test_charges_are_in_each_vendors_unit(vendors):
    sim, image = vendors
    wash = submit(sim, "imagewash", image, productImages=[image, image], count=2).json()
    submit(sim, "imagetasks", image, model="gpt-image-2", size="1024x1024", n=3)
    submit(sim, "suchuang", image, modelName="sc_soraimg_img2img_1x1", imageUrl=image)
    submit(sim, "lingtu", image, num=2)

    summary = sim.ledger_summary()
    assert summary["imagewash"]["charged"] == wash["data"]["cost"]["chargedCoins"] == 4 * 4  # 4 children
    assert summary["imagetasks"]["charged"] == 3  # one per image requested
    assert summary["suchuang"]["charged"] == 35  # an image→image model
    assert summary["lingtu"]["charged"] == 2  # `num` generations


def test_failed_and_cancelled_tasks_are_refunded_in_the_ledger(vendors):
    sim, image = vendors
    for vendor in ("imagewash", "imagetasks", "suchuang"):
        sim.add_fault(Fault("fail_task", vendor=vendor))
    wash_id = submit(sim, "imagewash", image).json()["data"]["taskId"]
    task_id = submit(sim, "imagetasks", image).json()["task_id"]
    task_no = submit(sim, "suchuang", image).json()["data"]["taskNo"]
    sim.latency = 30  # the lingtu job must still be waiting to be cancelled
    job_id = submit(sim, "lingtu", image).json()

    # Each vendor notices the failure when the task is next looked at, as the real ones settle refunds.
    wash_token = {"X-API-Token": imagewash.DEMO_CREDENTIALS["api_token"]}
    httpx.get(sim.public_url + "/api/third-party/common/result", params={"taskId": wash_id}, headers=wash_token)
    bearer = {"Authorization": f"Bearer {imagetasks.DEMO_CREDENTIALS['api_key']}"}
    httpx.get(f"{sim.public_url}/v1/images/tasks/{task_id}", headers=bearer)
    httpx.get(f"{sim.public_url}/user/ai/tasks/{task_no}", headers=SUCHUANG)
    assert lingtu_post(sim.public_url, "/aigc/job/cancel", {"jobId": job_id}).json()["success"] is True

    summary = sim.ledger_summary()
    for vendor in ("imagewash", "imagetasks", "suchuang", "lingtu"):
        assert summary[vendor]["refunded"] == summary[vendor]["charged"] == CHARGE[vendor], vendor


def test_lingtu_answers_a_known_request_id_with_the_same_job_and_charges_once(vendors):
    sim, image = vendors
    first = submit(sim, "lingtu", image, requestId="studio-task-42")
    again = submit(sim, "lingtu", image, requestId="studio-task-42")

    assert first.json() == again.json()
    books = sim.ledger_summary()["lingtu"]
    assert (books["created"], books["charged"]) == (1, 1)
    assert books["tasks"][0]["key"] == "studio-task-42"


def test_lingtu_keeps_the_job_of_a_request_whose_answer_was_lost(vendors):
    sim, image = vendors
    sim.add_fault(Fault("cut_answer", vendor="lingtu"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        submit(sim, "lingtu", image, requestId="retry-me")

    retried = submit(sim, "lingtu", image, requestId="retry-me")

    assert retried.json() == sim.ledger_summary()["lingtu"]["tasks"][0]["id"]
    assert created(sim, "lingtu") == 1


def test_a_reset_clears_the_ledger(vendors):
    sim, image = vendors
    submit(sim, "suchuang", image)
    assert httpx.post(sim.public_url + "/_simulator/reset").status_code == 200
    assert sim.ledger_summary()["suchuang"] == {"created": 0, "charged": 0, "refunded": 0, "tasks": []}


def test_a_suchuang_task_whose_answer_was_lost_is_in_the_task_list_newest_first(vendors):
    sim, image = vendors
    older = submit(sim, "suchuang", image, prompt="先提交的任务").json()["data"]["taskNo"]
    time.sleep(0.01)
    sim.add_fault(Fault("cut_answer", vendor="suchuang", endpoint="/submit"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        submit(sim, "suchuang", image, modelName="sc_soraimg_img2img_1x1", imageUrl=image, prompt="答复丢失的任务")

    lost, *rest = task_list(sim)

    assert [record["taskNo"] for record in rest] == [older]
    assert lost["taskNo"] not in (older, None) and lost["modelName"] == "sc_soraimg_img2img_1x1"
    assert lost["promptSnippet"] == "答复丢失的任务" and lost["status"] and lost["createTime"]
    assert [record["taskNo"] for record in task_list(sim, taskType="image_to_image")] == [lost["taskNo"]]
    assert [record["taskNo"] for record in task_list(sim, taskType="text_to_image")] == [older]
    assert len(task_list(sim, status="completed")) == 2  # latency 0: both are done


def task_list(sim, **query) -> list[dict]:
    answer = httpx.get(sim.public_url + "/user/ai/tasks/list", params=query, headers=SUCHUANG)
    return answer.json()["data"]["records"]
