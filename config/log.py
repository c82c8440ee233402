"""Logging filters (settings.LOGGING)."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer is a refusal the platform meant (PermissionDenied, Http404, a bad request): log it as
    one line. Django 5.2 attaches the exception to these records, so each forbidden page printed a
    traceback as if the server had failed. Server errors (5xx) keep theirs."""

    def filter(self, record):
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
