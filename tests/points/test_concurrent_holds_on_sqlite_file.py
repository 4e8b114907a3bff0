"""The race of test_concurrent_holds.py on the embedded default: a SQLite file with the studio's own settings.

It runs in a fresh process on a fresh file under tmp_path, because the test database is in memory.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.points.race import THREADS

ROOT = Path(__file__).resolve().parents[2]
RUN = "import django; django.setup(); from tests.points import race; race.main()"
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "STORAGE_BACKEND", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_it_never_overdraws_a_wallet_on_the_sqlite_file(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update({"DJANGO_SETTINGS_MODULE": "studio.settings", "STUDIO_VAR_DIR": str(tmp_path / "var")})

    done = subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["database"]["engine"] == "django.db.backends.sqlite3"
    assert results["database"]["name"] == str(tmp_path / "var" / "studio.sqlite3")
    assert results["database"]["options"]["transaction_mode"] == "IMMEDIATE"
    assert results["errors"] == []  # no "database is locked": writers wait for each other
    assert sorted(results["balances"], reverse=True) == [70, 40, 10]
    assert results["refused"] == [20] * (THREADS - 3)
    assert results["balance"] == 10
    assert results["differences"] == []
