"""Many workers holding points from one wallet at the same moment, each on its own database connection."""

import threading
from functools import partial

from django.db import connection

from studio.points.services import InsufficientPoints, points_hold

THREADS = 8


def race(calls: list) -> dict[str, list]:
    """One thread per call, released together; what each got back: an entry, a refusal or an error."""
    start = threading.Barrier(len(calls))
    results = {"balances": [], "entries": [], "refused": [], "errors": []}

    def run(call) -> None:
        try:
            start.wait()
            entry = call()
            results["balances"].append(entry.balance_after)
            results["entries"].append(entry.pk)
        except InsufficientPoints as error:
            results["refused"].append(error.shortfall)
        except Exception as error:  # e.g. "database is locked": must fail the test, not vanish
            results["errors"].append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def race_holds(*, team, amount: int, keys: list[str]) -> dict[str, list]:
    return race([partial(points_hold, team=team, amount=amount, run_id=n, key=key) for n, key in enumerate(keys, 1)])


def main() -> None:
    """The race on a fresh database of the process's own settings (tests run it on a file-backed SQLite).

    Run after django.setup(): python -c "import django; django.setup(); from tests.points import race; race.main()"
    """
    import json

    from django.conf import settings
    from django.core.management import call_command

    from studio.accounts.models import Team
    from studio.points.reconcile import wallet_differences
    from studio.points.services import points_balance, points_grant

    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="Acme")
    points_grant(team=team, amount=100, reason="Welcome points", user=None, key="welcome-acme")
    results = race_holds(team=team, amount=30, keys=[f"run-{n}-hold" for n in range(1, THREADS + 1)])
    database = settings.DATABASES["default"]
    results.update(
        database={"engine": database["ENGINE"], "name": str(database["NAME"]), "options": database.get("OPTIONS", {})},
        balance=points_balance(team=team),
        differences=wallet_differences(),
    )
    print(json.dumps(results))
