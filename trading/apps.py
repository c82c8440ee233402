from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradingConfig(AppConfig):
    name = "trading"
    verbose_name = _("Trading")

    def ready(self):
        from django.db.models.signals import post_save

        from ledger.models import Entry

        from . import policies, policies_green  # noqa: F401
        from .green.notify import entry_saved

        post_save.connect(entry_saved, sender=Entry, dispatch_uid="green_channel_officer_notice")
