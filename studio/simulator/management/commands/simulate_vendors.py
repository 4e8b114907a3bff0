import signal

from django.core.management.base import BaseCommand

from studio.simulator.app import build_simulator
from studio.simulator.core import FAULTS, make_server


class Command(BaseCommand):
    help = "Serves all five vendor APIs, as their documents describe them, for demos, development and tests."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--latency", type=float, default=3.0, help="seconds from submit to result")
        parser.add_argument("--seed", type=int, default=None, help="seed of the faults given a rate (replayable)")
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args, host, port, latency, seed, verbose, **options):
        simulator = build_simulator(latency=latency, public_url=f"http://{host}:{port}", seed=seed)
        simulator.verbose = verbose
        server = make_server(simulator, host, port)
        self.stdout.write(f"Vendor simulator on http://{host}:{port} (latency {latency:g} s)")
        self.stdout.write(
            f'  faults: POST /_simulator/faults {{"kind": one of {", ".join(FAULTS)}, "vendor": "*", "times": 1}}'
            ' or {..., "rate": 0.1} (random, seeded by --seed)'
        )
        self.stdout.write("  ledger of what each vendor created and charged: GET /_simulator/ledger")
        # Installed, not inherited: a shell starts background jobs with SIGINT ignored, and `runstudio`
        # stops its children with SIGINT (seen: the simulator outlived the studio until it was killed).
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, _interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt
