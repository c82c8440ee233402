"""Announcements (公告): what the public was told, when, frozen at publication (trading.announce)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Region

BEIJING = ZoneInfo("Asia/Shanghai")


class Announcement(models.Model):
    """One public announcement of a tender, with its signed PDF. Written only by trading.announce:
    `title` and `body` are a snapshot taken at publication, so later edits of the tender, an amendment or
    an award never change what was announced (the log entry holds the body's SHA-256)."""

    class Kind(models.TextChoices):
        TENDER = "tender", _("Tender announcement")
        AMENDMENT = "amendment", _("Amendment announcement")
        OPENING_RECORD = "opening_record", _("Opening record")
        CANDIDATES = "candidates", _("Candidate publicity")
        RESULT = "result", _("Award result announcement")
        FAILURE = "failure", _("Failed tender announcement")
        TERMINATION = "termination", _("Termination announcement")

    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="announcements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What it announces ("amendment:12", "publicity:3"; "" when the tender itself): one announcement each.
    source_key = models.CharField(max_length=60, blank=True)
    # Frozen with the content: the portal filters on what was announced.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    category = models.CharField(_("category"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    body = models.JSONField(_("content"))
    body_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    ledger_seq = models.BigIntegerField(_("ledger entry"), null=True, blank=True)
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        constraints = [
            models.UniqueConstraint(fields=["tender", "kind", "source_key"], name="one_announcement_per_source"),
        ]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="announcement_portal"),
            models.Index(fields=["kind", "-published_at", "-id"], name="announcement_kind"),
            models.Index(fields=["region", "-published_at", "-id"], name="announcement_region"),
        ]

    def __str__(self):
        return self.title

    @property
    def number(self):
        """The public number: GG, the Beijing date of publication, the id (printed on the PDF)."""
        return f"GG{self.published_at.astimezone(BEIJING):%Y%m%d}{self.pk:06d}"
