import sys

from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "studio.runs"

    def ready(self):
        from django_q.signals import post_spawn

        from studio.points.reconcile import CHECKS
        from studio.runs.reconcile import run_charge_differences

        if run_charge_differences not in CHECKS:
            CHECKS.append(run_charge_differences)
        post_spawn.connect(_start_claimer, dispatch_uid="studio-runs-claimer")
        if sys.argv[1:2] == ["qcluster"]:
            from studio.runs.engine import make_cluster_stop_cleanly

            make_cluster_stop_cleanly()
            _preload_worker_modules()


def _preload_worker_modules():
    """Imported once in the cluster's parent, so every forked worker has them instead of importing its own.

    Measured with `benchmark pipeline`: each worker otherwise spends about half a second importing the
    worker, the vendor adapters and Pillow's plugins on its first steps.
    """
    from PIL import Image

    import studio.runs.engine
    import studio.runs.worker
    import studio.vendors.http  # noqa: F401  (httpx, and the TLS context every adapter shares)
    from studio.vendors.catalogue import KINDS, vendor_module

    for kind in KINDS:
        vendor_module(kind)
    Image.init()


def _start_claimer(sender, proc_name, **kwargs):
    """A django-q2 worker process started: it claims its own due tasks from now on (studio/runs/engine.py)."""
    from studio.runs.engine import start_claimer

    start_claimer()
