"""All five vendor APIs on one simulator (their paths do not collide)."""

import importlib

from studio.simulator.core import Simulator
from studio.vendors.catalogue import KINDS


def vendor_simulator_module(kind: str):
    return importlib.import_module(f"studio.simulator.{kind}")


def build_simulator(
    *, latency: float = 3.0, public_url: str = "http://127.0.0.1:8100", seed: int | None = None
) -> Simulator:
    simulator = Simulator(latency=latency, public_url=public_url, seed=seed)
    for kind in KINDS:
        vendor_simulator_module(kind).register(simulator)
    return simulator


def demo_credentials(kind: str) -> dict[str, str]:
    """The credentials the simulator accepts for a vendor (what the demo accounts are given)."""
    return dict(vendor_simulator_module(kind).DEMO_CREDENTIALS)
