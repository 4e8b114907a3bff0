import logging
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from studio.core.broker import process_broker

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    broker = process_broker()
    broker.ping()
    broker.queue_size()  # the ORM broker's ping is a no-op; this touches its table


PROBE = "healthz/probe.txt"


def _check_storage() -> None:
    """Reads the probe file's presence; writes it only when it is missing (the first probe, a new bucket).

    A write on every probe of every load balancer would cost a PUT (and, on S3, money) every few seconds.
    """
    if not default_storage.exists(PROBE):
        default_storage.save(PROBE, ContentFile(b"ok"))


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@never_cache
def healthz_live(request):
    """Liveness: the process answers. Touches nothing, so a slow database never gets a web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def healthz(request):
    """Readiness, for load balancers and the quick-start script: 200 when every dependency answers, else 503."""
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
