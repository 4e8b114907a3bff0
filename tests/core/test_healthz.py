import pytest
from django.conf import settings
from django.urls import reverse

from studio.core import views


def test_it_reports_every_dependency_healthy(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("failing", ["database", "broker", "storage"])
def test_any_failing_dependency_makes_it_unavailable(client, db, monkeypatch, failing):
    def broken():
        raise ConnectionError("password=hunter2 at 10.0.0.5")

    monkeypatch.setitem(views.CHECKS, failing, broken)
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"][failing] == {"ok": False, "error": "ConnectionError"}
    assert b"hunter2" not in response.content  # the error's details may hold secrets: never shown


def test_the_broker_checked_is_the_configured_one(client, db):
    from django_q.brokers import get_broker

    broker = get_broker()
    assert type(broker).__name__ == ("Redis" if settings.REDIS_URL else "ORM")
    assert broker.ping()
