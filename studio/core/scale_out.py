"""`manage.py runstudio --scale-out`: the layout of a multi-machine install, on one machine, for trying it.

PostgreSQL and Redis as the machine runs them, files in an S3-compatible store on loopback (moto's
server, a development dependency), and two worker processes (`qcluster`) sharing the work as two
machines would. CI starts this same layout (tests/core/test_scale_out.py).
"""

import os
import subprocess
import sys
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import CommandError

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/studio"
REDIS_URL = "redis://127.0.0.1:6379/0"
BUCKET = "studio"
S3_KEYS = {"STORAGE_ACCESS_KEY_ID": "studio", "STORAGE_SECRET_ACCESS_KEY": "studio-local-only"}  # moto accepts any


def scale_out_environment(s3_port: int, *, log: Callable[[str], None]) -> dict:
    """The environment of every process of the layout; the database is made if missing and migrated once."""
    database = os.environ.get("DATABASE_URL") or DATABASE_URL
    if urlsplit(database).scheme not in ("postgres", "postgresql"):
        raise CommandError("--scale-out runs on PostgreSQL: set DATABASE_URL to a postgres:// URL (or leave it unset).")
    _create_database_if_missing(database, log)
    endpoint = _start_s3_store(s3_port)
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": os.environ.get("REDIS_URL") or REDIS_URL,
        "STORAGE_BACKEND": "s3",
        "STORAGE_BUCKET": BUCKET,
        "STORAGE_ENDPOINT_URL": endpoint,
        "STORAGE_REGION": "us-east-1",
        **S3_KEYS,
    }
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], env=env, check=True, cwd=settings.BASE_DIR)  # noqa: S603
    log(f"Scale-out layout: {_safe(database)}, {env['REDIS_URL']}, S3 bucket '{BUCKET}' at {endpoint}, two workers.")
    return env


def _create_database_if_missing(url: str, log: Callable[[str], None]) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.strip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log(f"Created the PostgreSQL database {name}.")
    except psycopg.Error as error:
        raise CommandError(f"--scale-out needs PostgreSQL at {parts.hostname}:{parts.port or 5432}: {error}") from None


def _start_s3_store(port: int) -> str:
    """moto's S3 server in a thread of this process, with the bucket; it lives as long as the command."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise CommandError("--scale-out needs moto for its S3 store: pip install -e '.[dev]'") from None
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=S3_KEYS["STORAGE_ACCESS_KEY_ID"], aws_secret_access_key=S3_KEYS["STORAGE_SECRET_ACCESS_KEY"],
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    return endpoint


def _safe(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))
