"""Through the real worker: `manage.py qcluster` processes, the simulator over HTTP, inputs fetched from
the studio's signed URLs. Nothing is driven by the test once a run is submitted."""

import io
import time

import pytest
from django.core.management import call_command
from PIL import Image

from studio.assets.ingest import asset_ingest
from studio.points.services import points_balance
from studio.runs.models import OutputKind, RunState, TaskState
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.simulator.core import Fault
from studio.vendors.lingtu import ADAPTER as Lingtu
from studio.vendors.models import Offering
from tests.images import distinct_png, upload
from tests.run_fixtures import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def png(size, colour, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def asset(project, staff, name, data, role="product"):
    return asset_ingest(project=project, upload=upload(name, data), user=staff, role=role).asset


def offering(accounts, kind, operation, model=""):
    return Offering.objects.get(account=accounts[kind], operation=operation, model=model)


def test_a_wash_and_every_other_operation_run_to_the_end_through_qcluster(
    accounts, simulator, project, staff, funded, products, qcluster
):
    product, reference = products[0], products[5]
    cut_out = asset(project, staff, "cut-out.png", png((300, 300), (30, 90, 200, 255), "RGBA"))
    backdrop = asset(project, staff, "backdrop.png", png((800, 800), (230, 220, 205)), "background")
    model = asset(project, staff, "model.png", png((400, 600), (200, 170, 150)), "model")
    garment = asset(project, staff, "shirt.png", png((300, 300), (20, 120, 60)), "garment")
    face = Lingtu(base_url=simulator.public_url, credentials=accounts["lingtu"].credentials).faces()[0].id
    prompt = {"prompt": "a clean studio product photo"}
    single = (PlannedInput(product, "product"),)
    plans = [
        (offering(accounts, "imagewash", "wash", "nanoBanana2"),
         PlannedCall({**prompt, "count": 2}, tuple(PlannedInput(p, "product") for p in products[:5])
                     + (PlannedInput(reference, "reference"),))),
        (offering(accounts, "imagetasks", "text_to_image", "NanoBanana2-1K"), PlannedCall(prompt)),
        (offering(accounts, "imagetasks", "image_to_image", "gpt-image-2"),
         PlannedCall({**prompt, "size": "1024x1024"}, (PlannedInput(reference, "reference"),))),
        (offering(accounts, "suchuang", "text_to_image", "sc_soraimg_text_1x1"), PlannedCall(prompt)),
        (offering(accounts, "suchuang", "image_to_image", "sc_soraimg_img2img_3x2"),
         PlannedCall(prompt, (PlannedInput(reference, "reference"),))),
        (offering(accounts, "hdredraw", "upscale"), PlannedCall({}, single)),
        (offering(accounts, "hdredraw", "vectorize"), PlannedCall({}, single)),
        (offering(accounts, "hdredraw", "face_enhance"), PlannedCall({}, single)),
        (offering(accounts, "hdredraw", "seamless_tile"), PlannedCall({"direction": 0}, single)),
        (offering(accounts, "hdredraw", "remove_fabric"), PlannedCall({}, single)),
        (offering(accounts, "hdredraw", "ai_edit"), PlannedCall(prompt, single)),
        (offering(accounts, "hdredraw", "extract_pattern"), PlannedCall({}, single)),
        (offering(accounts, "hdredraw", "remove_rhinestones"), PlannedCall({}, single)),
        (offering(accounts, "hdredraw", "expand"), PlannedCall({"expand_top": 0.2, "expand_left": 0.1}, single)),
        (offering(accounts, "hdredraw", "remove_watermark"), PlannedCall({}, single)),
        (offering(accounts, "lingtu", "change_background"),
         PlannedCall({"width": 800, "height": 800},
                     (PlannedInput(cut_out, "product", {"x": 250, "y": 250, "width": 300, "height": 300}),
                      PlannedInput(backdrop, "background")))),
        (offering(accounts, "lingtu", "ai_model"), PlannedCall({"face_id": face}, (PlannedInput(model, "model"),))),
        (offering(accounts, "lingtu", "try_on"),
         PlannedCall({}, (PlannedInput(model, "model"), PlannedInput(garment, "garment", {"type": "upperBody"})))),
    ]  # fmt: skip
    assert {o.operation for o, _call in plans} == {
        choice for choice, _label in Offering._meta.get_field("operation").choices
    }

    qcluster.start()
    runs = [runs_submit(project=project, offering=o, user=staff, calls=[call]) for o, call in plans]

    for run in runs:
        run = wait_for(run, timeout=90, cluster=qcluster)
        assert run.state == RunState.SUCCEEDED, (run.operation, list(run.tasks.values("state", "error_message")))
        assert run.outputs.filter(kind=OutputKind.IMAGE).count() >= run.outputs_expected
    assert runs[0].outputs.filter(kind=OutputKind.IMAGE).count() == 10
    assert runs[6].outputs.filter(kind=OutputKind.VECTOR).exists()  # vectorize keeps the EPS
    call_command("reconcile_points")


def test_killing_the_worker_mid_run_loses_nothing_and_repeats_no_vendor_call(
    accounts, simulator, project, staff, funded, qcluster
):
    simulator.latency = 1.0
    # A third of the submits answer a second late, so the kill likely lands while a vendor is making a task.
    simulator.add_fault(Fault("slow_answer", vendor="hdredraw", endpoint="/api/submit_task", seconds=1.0, rate=0.3))
    products = [asset(project, staff, f"p{n}.png", distinct_png(n)) for n in range(40)]
    calls = [PlannedCall({}, (PlannedInput(p, "product"),)) for p in products]
    run = runs_submit(project=project, offering=offering(accounts, "hdredraw", "remove_watermark"), user=staff,
                      calls=calls)  # fmt: skip
    assert run.tasks.count() == 40

    qcluster.start()
    deadline = time.monotonic() + 60
    while run.outputs.count() < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    qcluster.kill()  # kill -9, in the middle of the run
    stored_before_the_crash = run.outputs.count()
    assert 8 <= stored_before_the_crash < 40 and run.tasks.filter(finished_at__isnull=True).exists()

    qcluster.start()
    run = wait_for(run, timeout=120, cluster=qcluster)

    assert run.is_finished and not run.tasks.exclude(finished_at__isnull=False).exists()
    # Exactly once at the vendor: every task it made is one Studio knows, or one of the few caught mid-call.
    made_by_vendor = simulator.ledger_summary()["hdredraw"]["created"]
    known = run.tasks.exclude(vendor_task_id="").count()
    uncertain = run.tasks.filter(state=TaskState.UNCERTAIN).count()
    assert known <= made_by_vendor <= known + uncertain <= 40
    for task in run.tasks.exclude(state=TaskState.SUCCEEDED):  # only tasks lost mid-call, refunded and shown
        assert task.state == TaskState.UNCERTAIN and "not sent again" in task.error_message
    call_command("reconcile_points")


def test_fault_runs_through_qcluster_all_end_with_every_missing_output_refunded(
    accounts, simulator, project, staff, funded, products, qcluster
):
    """One vendor per fault, so each run's outcome is known; the worker only sees the vendors' answers."""
    simulator.add_fault(Fault("fail_task", vendor="imagewash"))
    simulator.add_fault(Fault("partial_failure", vendor="imagetasks"))
    simulator.add_fault(Fault("rate_limit", vendor="hdredraw", times=2))
    simulator.add_fault(Fault("server_error", vendor="hdredraw", endpoint="check_task_status", times=1))
    simulator.add_fault(Fault("malformed_json", vendor="suchuang", times=2))
    simulator.add_fault(Fault("server_error", vendor="lingtu", status=502, times=2))
    model = asset(project, staff, "model.png", png((400, 600), (200, 170, 150)), "model")
    garment = asset(project, staff, "shirt.png", png((300, 300), (20, 120, 60)), "garment")
    prompt = {"prompt": "a clean studio product photo"}
    plans = {
        RunState.FAILED: (offering(accounts, "imagewash", "wash", "nanoBanana2"),
                          PlannedCall({**prompt, "count": 1}, tuple(PlannedInput(p, "product") for p in products[:2]))),
        RunState.PARTIAL: (offering(accounts, "imagetasks", "text_to_image", "gpt-image-2"),
                           PlannedCall({**prompt, "size": "1024x1024", "n": 4})),
        "rate limited": (offering(accounts, "hdredraw", "upscale"),
                         PlannedCall({}, (PlannedInput(products[0], "product"),))),
        "malformed": (offering(accounts, "suchuang", "text_to_image", "sc_soraimg_text_1x1"), PlannedCall(prompt)),
        "bad gateway": (offering(accounts, "lingtu", "try_on"),
                        PlannedCall({}, (PlannedInput(model, "model"),
                                         PlannedInput(garment, "garment", {"type": "upperBody"})))),
    }  # fmt: skip

    qcluster.start()
    runs = {
        name: runs_submit(project=project, offering=o, user=staff, calls=[call]) for name, (o, call) in plans.items()
    }
    runs = {name: wait_for(run, timeout=90, cluster=qcluster) for name, run in runs.items()}

    assert runs[RunState.FAILED].state == RunState.FAILED
    assert runs[RunState.PARTIAL].state == RunState.PARTIAL
    for name in ("rate limited", "malformed", "bad gateway"):
        assert runs[name].state == RunState.SUCCEEDED, (name, list(runs[name].tasks.values("error_message")))
    assert simulator.faults == []  # every fault was met by the worker

    simulator.add_fault(Fault("expired_results", times=20))  # every download of the next run finds a dead link
    expired = runs_submit(project=project, offering=offering(accounts, "hdredraw", "remove_watermark"), user=staff,
                          calls=[PlannedCall({}, (PlannedInput(products[1], "product"),))])  # fmt: skip
    runs["expired"] = wait_for(expired, timeout=90, cluster=qcluster)
    assert runs["expired"].state == RunState.FAILED

    for run in runs.values():
        stored = run.outputs.filter(kind=OutputKind.IMAGE).count()
        price = run.points_charged // run.outputs_expected
        assert run.points_refunded == (run.outputs_expected - min(stored, run.outputs_expected)) * price, run
    spent = sum(run.points_charged - run.points_refunded for run in runs.values())
    assert points_balance(team=funded) == 10_000 - spent
    call_command("reconcile_points")
