from tests.run_fixtures import accounts, funded, products, qcluster, simulator, studio_for_vendors  # noqa: F401
