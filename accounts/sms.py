"""Text messages (SMS) through one pluggable backend, like Django's email backends.

The console backend prints messages; a production deployment names its gateway's backend in
SMS_BACKEND. Nothing on this machine can reach a real SMS gateway.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
outbox = []  # what the console backend sent, for tests and the demo


class ConsoleBackend:
    def send(self, phone, text):
        outbox.append((phone, text))
        logger.info("SMS to %s: %s", phone, text)


def send_sms(phone, text):
    import_string(settings.SMS_BACKEND)().send(phone, text)
