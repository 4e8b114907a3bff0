import pytest

from studio.points.services import points_grant


@pytest.fixture
def funded(team, admin):
    """Acme with 100 points, granted by its admin."""
    points_grant(team=team, amount=100, reason="Welcome points", user=admin, key="welcome-acme")
    return team
