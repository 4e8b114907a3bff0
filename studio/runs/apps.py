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


def _restart_driver(sender, proc_name, **kwargs):
    """A worker process started (a new or restarted cluster): make sure the driver chain runs."""
    from studio.runs.driver import wake

    wake()
