from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Signed records")

    def ready(self):
        from . import checks, policies  # noqa: F401
