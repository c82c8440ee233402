"""After the evaluation: the candidates (中标候选人), their publicity (公示), objections (异议) and
complaints (投诉), and the award (中标). Writes go through trading.actions.award and .disputes;
periods are in trading.award.periods (docs/award.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


class Candidate(models.Model):
    """A ranked candidate named by the evaluation report (实施条例 art. 53: at most 3)."""

    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="candidates")
    rank = models.PositiveSmallIntegerField(_("rank"))
    bid = models.ForeignKey("trading.Bid", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    price_fen = models.BigIntegerField(_("price (fen)"))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    # When the tenderer received the report: the 3 days to publish run from here (实施条例 art. 54).
    report_received_at = models.DateTimeField(_("report received at"))

    class Meta:
        ordering = ["tender", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "rank"], name="one_candidate_per_rank"),
            models.UniqueConstraint(fields=["tender", "bid"], name="one_candidate_per_bid"),
            models.CheckConstraint(condition=models.Q(rank__gte=1, rank__lte=3), name="candidate_rank_1_to_3"),
        ]

    def __str__(self):
        return f"{self.tender_id} #{self.rank}"


class Publicity(models.Model):
    """中标候选人公示 (实施条例 art. 54): published within 3 days of the report, for at least 3 days."""

    tender = models.OneToOneField("trading.Tender", on_delete=models.PROTECT, related_name="publicity")
    starts = models.DateTimeField(_("publicity starts"))
    ends = models.DateTimeField(_("publicity ends"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_late = models.BooleanField(_("published after the 3-day limit"), default=False)
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"publicity {self.tender_id}"


class CandidateObjection(models.Model):
    """异议 to the candidates (实施条例 art. 54; procurement: 质疑, 政府采购法 art. 52)."""

    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="candidate_objections")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField(_("grounds"))
    evidence_name = models.CharField(_("evidence file"), max_length=200, blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    answer_due = models.DateTimeField(_("answer due"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_late = models.BooleanField(_("answered late"), default=False)

    class Meta:
        ordering = ["raised_at", "pk"]

    def __str__(self):
        return f"objection {self.pk} ({self.tender_id})"


class Complaint(models.Model):
    """投诉 to the regulator (实施条例 art. 60-61; 政府采购法 art. 55-56)."""

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="complaints")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    objection = models.ForeignKey(CandidateObjection, on_delete=models.PROTECT, related_name="complaints")
    grounds = models.TextField(_("grounds"))
    filed_at = models.DateTimeField(_("filed at"))
    due = models.DateTimeField(_("decision due"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Decision.choices, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["filed_at", "pk"]

    def __str__(self):
        return f"complaint {self.pk} ({self.tender_id})"


class Award(models.Model):
    """The winner confirmed by the tenderer, its notices and the deadlines after it (招标投标法 art. 45-47)."""

    tender = models.OneToOneField("trading.Tender", on_delete=models.PROTECT, related_name="award")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    bid = models.ForeignKey("trading.Bid", on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(_("rank"))
    reason = models.TextField(_("reason for not awarding rank 1"), blank=True)
    price_fen = models.BigIntegerField(_("price (fen)"))
    confirmed_at = models.DateTimeField(_("confirmed at"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notice_record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    result_record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    # Notices to the other candidates and bidders (UNSUCCESSFUL_NOTICE): {organization id: record id}.
    unsuccessful_records = models.JSONField(default=dict, blank=True)
    contract_due = models.DateTimeField(_("contract due"))
    # Bidding law: 15 days from the award (art. 47). Procurement: 7 working days from the contract's
    # signature (政府采购法 art. 47), so it is set only then.
    report_due = models.DateTimeField(_("report due"), null=True, blank=True)
    contract_signed_at = models.DateTimeField(_("contract signed at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)  # award_reminders: at most once a day

    def __str__(self):
        return f"award {self.tender_id}"
