"""When to try a vendor call again: one pure function of the error's class and the attempts so far."""

import random

from studio.vendors.base import ErrorClass

MAX_ATTEMPTS = {ErrorClass.TRANSIENT: 6, ErrorClass.RATE_LIMITED: 20}  # a full queue is worth waiting for
BASE_SECONDS = 2.0
CAP_SECONDS = 300.0
RATE_LIMIT_FLOOR_SECONDS = 5.0


def retry_delay(error_class: ErrorClass, attempts: int, *, rng: random.Random | None = None) -> float | None:
    """Seconds to wait before the next attempt, or None to give up (the task fails and is refunded).

    Exponential back-off with "equal jitter": half the delay is fixed, half random, so many tasks
    rate-limited together do not come back together.
    """
    if not error_class.is_retryable or attempts >= MAX_ATTEMPTS[error_class]:
        return None
    delay = min(CAP_SECONDS, BASE_SECONDS * 2 ** max(0, attempts - 1))
    if error_class == ErrorClass.RATE_LIMITED:
        delay = max(delay, RATE_LIMIT_FLOOR_SECONDS)
    return delay / 2 + (rng or random).uniform(0, delay / 2)
