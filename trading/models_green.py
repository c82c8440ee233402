"""The green channel (绿色通道, issue 12): a dedicated officer, a milestone plan and priority for major
projects. It speeds up the platform's own work only: no legal period depends on anything here
(trading.rules never reads these models)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GreenChannelRequest(models.Model):
    """A tenderer's request to put a project on the green channel, and the center's decision."""

    class Reason(models.TextChoices):
        MAJOR_INVESTMENT = "major_investment", _("Major investment project")
        INVESTMENT_PROMOTION = "investment_promotion", _("Investment promotion project")
        PUBLIC_WELFARE = "public_welfare", _("Key public welfare project")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    project = models.ForeignKey("trading.Project", on_delete=models.PROTECT, related_name="green_requests",
                                verbose_name=_("project"))
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    explanation = models.TextField(_("explanation"), blank=True)
    investment_fen = models.BigIntegerField(_("investment amount (fen)"))
    evidence = models.FileField(_("approval document"), upload_to="green-channel/%Y/%m/")
    evidence_name = models.CharField(_("file name"), max_length=200)
    evidence_sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="green_projects", verbose_name=_("dedicated officer"))
    deputy = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="green_deputy_projects", verbose_name=_("deputy officer"))

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("green channel request")
        verbose_name_plural = _("green channel requests")
        constraints = [
            # One live request per project: a refused one may be followed by a new one.
            models.UniqueConstraint(fields=["project"], condition=models.Q(status__in=["requested", "approved"]),
                                    name="one_live_green_request_per_project"),
        ]

    def __str__(self):
        return f"{self.project} · {self.get_status_display()}"


class Milestone(models.Model):
    """One row of the plan made at approval: a stage of one tender and its target date. Whether it is
    met is never stored: trading.green.milestones reads it from the trading log."""

    class Kind(models.TextChoices):
        DOCUMENT_REVIEW = "document_review", _("Document review")
        PUBLICATION = "publication", _("Publication")
        OPENING = "opening", _("Opening")
        DRAW = "draw", _("Expert draw")
        EVALUATION = "evaluation", _("Evaluation")
        CANDIDATE_PUBLICITY = "candidate_publicity", _("Candidate publicity")
        AWARD = "award", _("Award")

    request = models.ForeignKey(GreenChannelRequest, on_delete=models.PROTECT, related_name="milestones")
    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="green_milestones")
    kind = models.CharField(_("milestone"), max_length=30, choices=Kind.choices)
    position = models.PositiveSmallIntegerField()
    target = models.DateField(_("target date"))
    # The same stage under ordinary handling (legal minimums plus the ordinary service targets):
    # what "days saved" is measured against.
    ordinary_target = models.DateField(_("ordinary target date"))

    class Meta:
        ordering = ["tender_id", "position"]
        constraints = [models.UniqueConstraint(fields=["request", "tender", "kind"], name="unique_green_milestone")]

    def __str__(self):
        return f"{self.tender_id} {self.kind} {self.target}"


class GreenNote(models.Model):
    """The officer's notes and log of contacts with the tenderer."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CONTACT = "contact", _("Contact with the tenderer")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Telephone")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting at the center")
        ONLINE = "online", _("Online")

    request = models.ForeignKey(GreenChannelRequest, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    text = models.TextField(_("text"))
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.request_id} {self.kind} {self.at:%Y-%m-%d}"
