from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Entry(models.Model):
    """One action in the trading log. Append-only: PostgreSQL refuses UPDATE and DELETE by trigger."""

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("actor"), max_length=150)
    role = models.CharField(_("role"), max_length=20, blank=True)
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    tender_ref = models.CharField(_("tender"), max_length=40, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    # The canonical JSON text itself, so the hashed bytes are stored exactly.
    payload = models.TextField(_("payload"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("trading log entry")
        verbose_name_plural = _("trading log entries")

    def __str__(self):
        return f"#{self.seq} {self.action}"


class ChainHead(models.Model):
    """A single row naming the last entry; appends lock it so that the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"head #{self.seq} {self.hash[:12]}"
