from tests.run_fixtures import (  # noqa: F401
    accounts,
    funded,
    offerings,
    products,
    qcluster,
    rich,
    simulator,
    studio_for_vendors,
)  # fmt: skip
