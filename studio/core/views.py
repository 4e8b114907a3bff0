import logging
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django_q.brokers import get_broker

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    broker = get_broker()
    broker.ping()
    broker.queue_size()  # the ORM broker's ping is a no-op; this touches its table


def _check_storage() -> None:
    """Writes and deletes a tiny file: proves the storage is reachable and writable, not just configured."""
    name = default_storage.save("healthz/probe.txt", ContentFile(b"ok"))
    default_storage.delete(name)


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@never_cache
def healthz(request):
    """For load balancers and the quick-start script: 200 when every dependency answers, else 503."""
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # any failure means "not healthy"; the class name is safe to show
            logger.warning("healthz: %s check failed: %s", name, type(error).__name__)
            results[name] = {"ok": False, "error": type(error).__name__}
        else:
            results[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503
    )
