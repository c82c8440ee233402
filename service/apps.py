from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """The trading centers' own service, measured: time limits, overdue items, ratings, rankings."""

    name = "service"
    verbose_name = _("Service efficiency")

    def ready(self):
        from . import policies  # noqa: F401
