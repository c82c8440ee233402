"""Errors raised by actions. Each has a stable code (API, websocket) and a translated message (pages)."""


class DomainError(Exception):
    http_status = 400

    def __init__(self, code, message, *, http_status=None, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra
        if http_status is not None:
            self.http_status = http_status


class Forbidden(DomainError):
    http_status = 403

    def __init__(self, message=None, code="permission_denied"):
        from django.utils.translation import gettext_lazy as _

        super().__init__(code, message or _("You are not allowed to do this."))


class NotFound(DomainError):
    http_status = 404

    def __init__(self, message=None, code="not_found"):
        from django.utils.translation import gettext_lazy as _

        super().__init__(code, message or _("Not found."))
