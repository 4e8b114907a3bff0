from django.core.management.base import BaseCommand, CommandError

from studio.runs.vendor_check import vendor_check


class Command(BaseCommand):
    help = (
        "Compares, per vendor account and day, what Studio ordered with what the vendor reports (task lists, "
        "charges, hdredraw's remaining_count); fails on orphans, uncertain tasks or charges without outputs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="how many days back, today included (default 7)")
        parser.add_argument("--studio-only", action="store_true", help="do not ask the vendors, only Studio's records")

    def handle(self, *args, days, studio_only, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        checks = vendor_check(days=days, ask_vendors=not studio_only)
        problems = 0
        for check in checks:
            self.stdout.write(f"{check.account.name} ({check.account.kind})")
            unit = check.cost_unit
            for row in check.days:
                if not (row.sent or row.vendor_tasks):
                    continue
                vendor = (
                    "" if row.vendor_tasks is None else f" · vendor lists {row.vendor_tasks} ({row.vendor_cost} {unit})"
                )
                self.stdout.write(
                    f"  {row.day}: sent {row.sent}, accepted {row.accepted}, adopted {row.adopted}, "
                    f"uncertain {row.uncertain}, charged {row.studio_cost} {unit}{vendor}".rstrip()
                )
            for line in _problem_lines(check):
                self.stdout.write(f"  {line}")
            problems += check.problem_count
        if problems:
            raise CommandError(f"{problems} problem(s) found.")
        self.stdout.write(f"ok: {len(checks)} vendor accounts checked over {days} days, nothing to look into")


def _problem_lines(check) -> list[str]:
    unit = check.cost_unit
    lines = [
        f"ORPHAN vendor task {orphan.vendor_task_id} made {orphan.created_at:%Y-%m-%d %H:%M} "
        f"({orphan.cost or 0} {unit}): Studio has no task for it"
        for orphan in check.orphans
    ]
    lines += [
        f"UNCERTAIN run {task.run_id} job {task.index + 1}, sent {task.sent_at:%Y-%m-%d %H:%M}: "
        "its answer was lost; look for it in the vendor's records"
        for task in check.uncertain
    ]
    lines += [
        f"CHARGED WITHOUT OUTPUT run {task.run_id} job {task.index + 1}: vendor task {task.vendor_task_id}"
        for task in check.charged_without_outputs
    ]
    if check.unexplained_package_runs:
        lines.append(
            f"UNEXPLAINED: remaining_count fell by {check.unexplained_package_runs} more than the tasks accepted"
        )
    if check.vendor_error:
        lines.append(f"VENDOR NOT ASKED: {check.vendor_error}")
    return lines
