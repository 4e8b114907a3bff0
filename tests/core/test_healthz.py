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


def test_liveness_touches_no_dependency(client, db, django_assert_num_queries, monkeypatch):
    for name in views.CHECKS:
        monkeypatch.setitem(views.CHECKS, name, lambda: (_ for _ in ()).throw(AssertionError("checked")))
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz_live"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_writes_the_storage_probe_once_not_on_every_probe(client, db, monkeypatch):
    from django.core.files.storage import FileSystemStorage, default_storage

    writes = []
    real_save = FileSystemStorage.save

    def counted_save(storage, name, content, **kwargs):
        writes.append(name)
        return real_save(storage, name, content, **kwargs)

    monkeypatch.setattr(FileSystemStorage, "save", counted_save)
    for _ in range(3):
        assert client.get(reverse("healthz")).status_code == 200

    assert writes == [views.PROBE]
    default_storage.delete(views.PROBE)  # a storage that lost its probe (a new bucket) gets it written again
    assert client.get(reverse("healthz")).status_code == 200 and len(writes) == 2
