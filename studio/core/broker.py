"""One django-q2 broker per process.

Left to itself, django-q2 makes a new broker (with Redis, a new connection) for every task it enqueues,
≈ 5–8 ms each; a forked worker process makes its own on first use.
"""

import os

from django_q.brokers import Broker, get_broker

_BROKERS: dict[int, Broker] = {}


def process_broker() -> Broker:
    pid = os.getpid()
    if pid not in _BROKERS:
        _BROKERS.clear()
        _BROKERS[pid] = get_broker()
    return _BROKERS[pid]
