"""Logging filters the settings' LOGGING uses."""

import logging


class ForbiddenOnOneLine(logging.Filter):
    """A refused request (403) is an everyday event, not an error: Django logs it with the PermissionDenied
    traceback, which buries the log; this keeps its one line ("Forbidden (Permission denied): /path")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = record.exc_text = None
        return True
