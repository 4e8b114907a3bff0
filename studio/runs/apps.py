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
        post_spawn.connect(_restart_driver, dispatch_uid="studio-runs-driver")
        if sys.argv[1:2] == ["qcluster"]:
            _preload_worker_modules()


def _preload_worker_modules():
    """Imported once in the cluster's parent, so every forked worker has them instead of importing its own.

    Measured with `benchmark pipeline`: each worker otherwise spends about half a second importing the
    worker, the vendor adapters and Pillow's plugins on its first steps.
    """
    from PIL import Image

    import studio.runs.driver
    import studio.runs.worker  # noqa: F401
    from studio.vendors.catalogue import KINDS, vendor_module

    for kind in KINDS:
        vendor_module(kind)
    Image.init()


def _restart_driver(sender, proc_name, **kwargs):
    """A worker process started (a new or restarted cluster): make sure the driver chain runs."""
    from studio.runs.driver import wake

    wake()
