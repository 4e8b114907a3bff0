"""Settings come from the environment: each variable switches one piece, and production is hardened."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "'db': settings.DATABASES['default']['ENGINE'], 'db_name': str(settings.DATABASES['default']['NAME']),"
    "'db_options': settings.DATABASES['default'].get('OPTIONS', {}),"
    "'broker': 'redis' if 'redis' in settings.Q_CLUSTER else 'orm',"
    "'storage': settings.STORAGES['default']['BACKEND'], 'debug': settings.DEBUG}))"
)


# What the test process itself sets (the browser tests allow the ORM next to Playwright's event loop).
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "STORAGE_BACKEND", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def clean_environment() -> dict:
    return {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}


def run(code: str, tmp_path, **environment) -> subprocess.CompletedProcess:
    env = clean_environment()
    env.update({"DJANGO_SETTINGS_MODULE": "studio.settings", "STUDIO_VAR_DIR": str(tmp_path / "var"), **environment})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def settings_with(tmp_path, **environment) -> dict:
    result = run(SHOW, tmp_path, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_default_is_sqlite_in_wal_mode_the_orm_broker_and_files_under_var(tmp_path):
    shown = settings_with(tmp_path)
    assert shown["db"] == "django.db.backends.sqlite3"
    assert shown["db_name"] == str(tmp_path / "var" / "studio.sqlite3")
    assert "journal_mode=WAL" in shown["db_options"]["init_command"]
    assert shown["db_options"]["timeout"] >= 5
    assert shown["broker"] == "orm"
    assert shown["storage"] == "django.core.files.storage.FileSystemStorage"


SCALE_OUT = {
    "DATABASE_URL": "postgres://studio@db.internal:5432/studio",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "STORAGE_BACKEND": "s3",
    "STORAGE_BUCKET": "studio-files",
}


def test_environment_variables_switch_to_postgresql_redis_and_s3(tmp_path):
    shown = settings_with(tmp_path, **SCALE_OUT)
    assert shown["db"] == "django.db.backends.postgresql"
    assert shown["broker"] == "redis"
    assert shown["storage"] == "storages.backends.s3.S3Storage"


@pytest.mark.parametrize(
    ("environment", "complaint"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY must be set when DEBUG=0"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50}, "CREDENTIALS_ENCRYPTION_KEYS must be set when DEBUG=0"),
        ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs STORAGE_BUCKET"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be 'filesystem' or 's3'"),
    ],
)
def test_a_missing_or_wrong_setting_stops_start_up_with_a_clear_message(tmp_path, environment, complaint):
    result = run(SHOW, tmp_path, **environment)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **clean_environment(),
            "DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-secret-" + "x9" * 20,
            "ALLOWED_HOSTS": "studio.example.com",
            "CREDENTIALS_ENCRYPTION_KEYS": "fHnVZ1m5Yg0Q0oGm3lB1m9JQk0o8yq2m6z7Zc8G8xk4=",
            "STUDIO_VAR_DIR": str(tmp_path / "var"),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_scale_out_settings_write_nothing_to_disk(tmp_path):
    """A read-only root file system works: with PostgreSQL, Redis and S3 nothing is made under var/."""
    shown = settings_with(tmp_path, **SCALE_OUT)
    assert shown["db"] == "django.db.backends.postgresql"
    assert not (tmp_path / "var").exists()
    settings_with(tmp_path)  # the embedded default still makes its folder
    assert (tmp_path / "var" / "static").is_dir()


def test_web_processes_on_postgresql_get_a_statement_timeout_and_workers_do_not(tmp_path):
    postgres = {"DATABASE_URL": "postgres://studio@db.internal:5432/studio"}
    web = settings_with(tmp_path, STUDIO_PROCESS="web", WEB_STATEMENT_TIMEOUT_MS="7000", **postgres)
    worker = settings_with(tmp_path, **postgres)

    assert web["db_options"]["options"] == "-c statement_timeout=7000"
    assert "options" not in worker["db_options"]
