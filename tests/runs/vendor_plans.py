"""One small job per vendor, for tests that run the same story through every vendor (shared with
`manage.py benchmark faults`)."""

from studio.benchmarks.faults import KINDS, SUBMIT_PATHS, one_job

__all__ = ["KINDS", "SUBMIT_PATHS", "one_job"]
