"""The simulator's engine, with a toy vendor: routing, faults, task progression, expiring files."""

import threading
import time

import httpx
import pytest

from studio.simulator.core import Fault, Simulator, json_response, make_server


@pytest.fixture
def toy():
    simulator = Simulator(latency=1.0)
    simulator.rate_limit_bodies["toy"] = lambda: json_response({"code": 429, "message": "队列已满"}, 429)

    @simulator.route("toy", "POST", r"/toy/submit")
    def submit(request):
        body = request.json()
        task = simulator.add_task("toy", lambda: [simulator.store_file(b"png-bytes", "image/png", ttl=body.get("ttl"))])
        return json_response({"id": task.id})

    @simulator.route("toy", "GET", r"/toy/tasks/(?P<task_id>\w+)")
    def status(request, task_id):
        task = simulator.tasks[task_id]
        phase = task.phase()
        return json_response({"phase": phase, "urls": task.results() if phase == "succeed" else []})

    @simulator.route("toy", "POST", r"/toy/upload")
    def upload(request):
        fields, files = request.form()
        name, content, content_type = files["file"]
        return json_response({"fields": fields, "name": name, "size": len(content), "type": content_type})

    server = make_server(simulator, port=0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    simulator.public_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield simulator
    server.shutdown()


def call(simulator, method, path, **kwargs):
    return httpx.request(method, simulator.public_url + path, timeout=5, **kwargs)


def test_tasks_move_from_queued_through_running_to_done_and_results_download(toy):
    task_id = call(toy, "POST", "/toy/submit", json={}).json()["id"]
    assert call(toy, "GET", f"/toy/tasks/{task_id}").json()["phase"] == "queued"
    time.sleep(0.3)
    assert call(toy, "GET", f"/toy/tasks/{task_id}").json()["phase"] == "running"
    time.sleep(0.75)
    done = call(toy, "GET", f"/toy/tasks/{task_id}").json()
    assert done["phase"] == "succeed"
    assert call(toy, "GET", done["urls"][0].removeprefix(toy.public_url)).content == b"png-bytes"
    assert toy.calls["toy"] == 4


def test_a_rate_limit_fault_answers_with_the_vendors_own_429_once(toy):
    toy.add_fault(Fault("rate_limit", vendor="toy"))
    first = call(toy, "POST", "/toy/submit", json={})
    assert (first.status_code, first.json()) == (429, {"code": 429, "message": "队列已满"})
    assert call(toy, "POST", "/toy/submit", json={}).status_code == 200


def test_server_errors_malformed_json_and_slow_answers_can_be_injected(toy):
    toy.add_fault(Fault("server_error", status=502))
    assert call(toy, "POST", "/toy/submit", json={}).status_code == 502
    toy.add_fault(Fault("malformed_json", endpoint="/toy/submit"))
    with pytest.raises(ValueError):
        call(toy, "POST", "/toy/submit", json={}).json()
    toy.add_fault(Fault("slow", seconds=0.3))
    started = time.monotonic()
    call(toy, "POST", "/toy/submit", json={})
    assert time.monotonic() - started >= 0.3


def test_failed_tasks_and_faults_are_switchable_over_http(toy):
    assert call(toy, "POST", "/_simulator/faults", json={"kind": "fail_task"}).status_code == 200
    task_id = call(toy, "POST", "/toy/submit", json={}).json()["id"]
    assert toy.tasks[task_id].outcome == "fail"
    refused = call(toy, "POST", "/_simulator/faults", json={"kind": "meteor_strike"})
    assert refused.status_code == 400 and "unknown fault" in refused.json()["error"]


def test_result_files_expire_and_can_be_expired_on_demand(toy):
    short = toy.store_file(b"a", "image/png", ttl=0.1)
    lasting = toy.store_file(b"b", "image/png")
    time.sleep(0.15)
    assert call(toy, "GET", short.removeprefix(toy.public_url)).status_code == 404
    toy.add_fault(Fault("expired_results"))
    assert call(toy, "GET", lasting.removeprefix(toy.public_url)).status_code == 404
    assert call(toy, "GET", lasting.removeprefix(toy.public_url)).status_code == 200


def test_multipart_is_parsed_and_json_is_required_where_json_is_expected(toy):
    answer = call(toy, "POST", "/toy/upload", data={"user_key": "k"}, files={"file": ("a.png", b"12345", "image/png")})
    assert answer.json() == {"fields": {"user_key": "k"}, "name": "a.png", "size": 5, "type": "image/png"}
    wrong = call(toy, "POST", "/toy/submit", data={"not": "json"})
    assert wrong.status_code == 400 and "expected application/json" in wrong.json()["error"]
    assert call(toy, "POST", "/toy/upload", json={}).status_code == 400


def test_unknown_paths_and_methods_are_refused(toy):
    assert call(toy, "GET", "/nowhere").status_code == 404
    assert call(toy, "GET", "/toy/submit").status_code == 405
