import sys

from studio.env import envint


def web_server_command(addr: str) -> list[str]:
    """The web server `make run` starts and the benchmarks measure: gunicorn, as in production.

    Django's runserver leaves Nagle's algorithm on, which stalls every kept-alive response by ~40 ms.
    WhiteNoise serves the static files (from the app folders when DEBUG=1).
    """
    return [
        sys.executable, "-m", "gunicorn", "studio.wsgi:application",
        "--bind", addr,
        "--workers", str(envint("WEB_WORKERS", 2)),
        "--threads", str(envint("WEB_THREADS", 4)),
        "--timeout", "120",
        "--graceful-timeout", "5",
        "--access-logfile", "-",
        "--no-control-socket",  # one per $HOME otherwise: two servers on one machine would collide
    ]  # fmt: skip
