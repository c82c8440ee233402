"""Collusion alerts (围标串标): findings of evaluation.alerts' rules, reviewed by regulators, never deleted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Alert(models.Model):
    class Rule(models.TextChoices):
        SAME_FILE = "same_file", _("Identical bid files across bidders")
        # xgettext:no-python-format
        CLOSE_PRICES = "close_prices", _("Bid prices within 0.5 % of each other")
        PRICE_PATTERN = "price_pattern", _("Bid prices in an arithmetic pattern")
        SHARED_CONTACT = "shared_contact", _("Bidders sharing a phone, e-mail or legal representative")
        SAME_ORIGIN = "same_origin", _("Bids sent from the same IP address or device")
        SAME_METADATA = "same_metadata", _("Bid files with identical document metadata")
        EXPERT_FAVOUR = "expert_favour", _("Expert favouring one bidder across tenders")
        OFF_HOURS = "off_hours", _("Staff acting outside working hours before the deadline")
        LATE_ANSWER = "late_answer", _("Objection to the tender documents answered late or not at all")

    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    # What the finding is about, stable across scans (e.g. "T-1:sha:<hex>"): reruns find the same row.
    subject_key = models.CharField(max_length=200)
    tender_ref = models.CharField(_("tender"), max_length=40, blank=True, db_index=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    evidence = models.JSONField(_("evidence"), default=dict)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "subject_key"], name="one_alert_per_subject")]
        verbose_name = _("collusion alert")
        verbose_name_plural = _("collusion alerts")

    def __str__(self):
        return f"{self.rule} · {self.subject_key}"
