"""Faults given a rate fire at random from the simulator's seed: replayable, never used up, roughly that often."""

import httpx
import pytest

from studio.simulator import suchuang
from studio.simulator.core import Fault

HEADERS = {"Authorization": f"Bearer {suchuang.DEMO_CREDENTIALS['token']}"}


@pytest.fixture
def platform(run_simulator):
    _base_url, sim = run_simulator(suchuang, latency=0)
    with httpx.Client(base_url=sim.public_url, headers=HEADERS, timeout=5) as client:
        yield sim, client


def outcomes(client, requests: int) -> list[str]:
    """What each of `requests` balance look-ups got: "ok", "busy" (an error_200 429) or "503"."""
    seen = []
    for _ in range(requests):
        answer = client.get("/user/points/consumption/balance")
        if answer.status_code != 200:
            seen.append(str(answer.status_code))
        else:
            seen.append("busy" if answer.json()["code"] == 429 else "ok")
    return seen


def add_rate_faults(client):
    server_error = {"kind": "server_error", "status": 503, "rate": 0.2}
    busy = {"kind": "error_200", "status": 429, "rate": 0.2}
    for fault in (server_error, busy):
        assert client.post("/_simulator/faults", json={"vendor": "suchuang", **fault}).status_code == 200


def test_the_same_seed_replays_the_same_faults_and_another_seed_does_not(platform):
    sim, client = platform
    assert client.post("/_simulator/config", json={"seed": 11}).json()["seed"] == 11
    add_rate_faults(client)
    first = outcomes(client, 120)

    client.post("/_simulator/reset")  # restarts the draws from the seed (and forgets the faults)
    add_rate_faults(client)
    assert outcomes(client, 120) == first

    client.post("/_simulator/config", json={"seed": 12})
    assert outcomes(client, 120) != first
    assert {"ok", "busy", "503"} == set(first)


def test_a_rate_is_roughly_honoured_and_the_fault_is_never_used_up(platform):
    sim, client = platform
    sim.reseed(3)
    sim.add_fault(Fault("server_error", vendor="suchuang", status=503, rate=0.25, times=1))

    seen = outcomes(client, 400)

    assert 0.18 < seen.count("503") / len(seen) < 0.32
    assert len(sim.faults) == 1  # `times` is ignored once a rate is given


def test_a_request_takes_at_most_one_answer_fault_even_when_every_fault_fires(platform):
    sim, client = platform
    sim.add_fault(Fault("error_200", vendor="suchuang", status=429, rate=1.0))
    sim.add_fault(Fault("server_error", vendor="suchuang", rate=1.0))
    assert outcomes(client, 5) == ["busy"] * 5  # the first one added wins, every time


def test_a_rate_fault_only_fires_on_its_vendor_and_endpoint(platform):
    sim, client = platform
    sim.add_fault(Fault("server_error", vendor="suchuang", endpoint="/user/ai/tasks/list", rate=1.0))
    sim.add_fault(Fault("server_error", vendor="imagewash", rate=1.0))
    assert outcomes(client, 5) == ["ok"] * 5
    assert client.get("/user/ai/tasks/list").status_code == 500
