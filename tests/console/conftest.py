from tests.console.spend_data import spend_world  # noqa: F401
from tests.run_fixtures import accounts, funded, products, qcluster, simulator, studio_for_vendors  # noqa: F401
