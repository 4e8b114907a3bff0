from tests.simulator.raw_calls import vendors  # noqa: F401 (pytest fixture)
from tests.vendor_fixtures import image_host, recorder, run_simulator  # noqa: F401 (pytest fixtures)
