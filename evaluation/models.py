"""The expert pool, venues and the verifiable expert draw (docs/architecture.md §10; 招标投标法 art. 37; 实施条例 art. 45–46).

Written only by evaluation.actions (and evaluation.pool for the pool itself). The draw procedure is
specified in docs/expert-draw.md; evaluation.draw holds its pure functions.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Region


class Specialty(models.Model):
    """Two-level taxonomy: a category (工程类) and its specialties (工程类-房屋建筑). Experts hold leaves."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("category"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")

    def __str__(self):
        return f"{self.parent.name}-{self.name}" if self.parent_id else self.name


class Expert(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("name"), max_length=50)
    # Stored whole (the draw checks identity at check-in), shown as its last four characters only.
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    phone = models.CharField(_("mobile phone"), max_length=20)
    employer = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="experts",
                                 verbose_name=_("employer"))
    # Employer by credit code when the employer is not an organization registered here.
    employer_credit_code = models.CharField(_("employer credit code"), max_length=18, blank=True, db_index=True)
    # The employer's name as given (imports and exports carry it; the registered organization's wins).
    employer_name = models.CharField(_("employer name"), max_length=200, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="experts", verbose_name=_("region"))
    specialties = models.ManyToManyField(Specialty, related_name="experts", verbose_name=_("specialties"))
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    suspension_reason = models.CharField(_("reason for suspension"), max_length=200, blank=True)
    # The expert's account for signing in to evaluation sessions (role "expert"); may be made later.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="expert_profile")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self):
        return self.name

    @property
    def id_last4(self):
        return self.id_number[-4:]


class Venue(models.Model):
    """An evaluation room: the main venue (主场) or a sub-venue (副场) of a remote evaluation."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="venues", verbose_name=_("region"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["region__sort_order", "name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self):
        return self.name


class Draw(models.Model):
    """One expert draw for one tender's evaluation committee.

    requested → committed (platform secret's hash logged, candidate list frozen) → drawn (regulator's
    secret given, seed fixed, seats drawn; replacements continue from the same seed) → complete (every
    seat accepted) → revealed (after the evaluation: both secrets published). failed: could not be filled.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        COMMITTED = "committed", _("Awaiting the regulator's secret")
        DRAWN = "drawn", _("Drawn, awaiting answers")
        COMPLETE = "complete", _("Committee complete")
        FAILED = "failed", _("Could not be filled")
        REVEALED = "revealed", _("Secrets revealed")

    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="draws")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    committee_size = models.PositiveSmallIntegerField(_("committee size"))
    tenderer_representatives = models.PositiveSmallIntegerField(_("tenderer's representatives"), default=0)
    remote = models.BooleanField(_("remote multi-site evaluation"), default=False)
    offsite = models.BooleanField(_("experts from outside the tender's county (异地评标)"), default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    # The frozen candidate list: canonical JSON text exactly as hashed (docs/expert-draw.md).
    frozen_list = models.TextField(blank=True)
    frozen_list_sha256 = models.CharField(max_length=64, blank=True)
    platform_secret = models.CharField(max_length=64, blank=True)  # hex, hidden until revealed
    platform_commitment = models.CharField(max_length=64, blank=True)  # SHA-256 of the secret's bytes
    regulator_secret = models.CharField(max_length=64, blank=True)
    regulator_commitment = models.CharField(max_length=64, blank=True)
    regulator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    seed = models.CharField(max_length=64, blank=True)
    next_counter = models.PositiveIntegerField(default=0)  # where the next pick continues (replacements)
    failure_reason = models.CharField(_("reason for failure"), max_length=300, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("expert draw")
        verbose_name_plural = _("expert draws")

    def __str__(self):
        return f"draw {self.pk} · {self.tender_id}"


class DrawRequirement(models.Model):
    """Seats of one specialty at one venue (venue null: not a remote evaluation)."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="requirements")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty"))
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("venue"))
    is_main_venue = models.BooleanField(_("main venue"), default=False)
    count = models.PositiveSmallIntegerField(_("seats"))
    # 异地评标: this requirement's experts come from outside the tender's county.
    offsite = models.BooleanField(_("experts from outside the tender's county"), default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.specialty} × {self.count}"


class Exclusion(models.Model):
    """An expert of the pool left out of a draw's frozen list, with the reason (visible to staff by code only)."""

    class Reason(models.TextChoices):
        EMPLOYED_BY_BIDDER = "employed_by_bidder", _("Employed by a bidder")
        EMPLOYED_BY_TENDERER = "employed_by_tenderer", _("Employed by the tenderer")
        RECENT_SAME_TENDERER = "recent_same_tenderer", _("Evaluated for the same tenderer recently")
        SUSPENDED = "suspended", _("Suspended")
        RETIRED = "retired", _("Retired")
        SAME_COUNTY = "same_county", _("From the tender's county (异地评标)")
        DECLARED_CONFLICT = "declared_conflict", _("Declared a conflict")

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="exclusions")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.expert_id}: {self.reason}"


def new_link_token():
    """22 URL-safe characters: 128 random bits."""
    return secrets.token_urlsafe(16)


class Seat(models.Model):
    """One pick of the draw: an expert asked to serve in one requirement's seat.

    The pick's `counter` is the position in the seed's stream (docs/expert-draw.md), so anyone can
    recompute it. A declined or timed-out pick stays, and a replacement pick follows it.
    """

    class Status(models.TextChoices):
        NOTIFIED = "notified", _("Notified")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TIMED_OUT = "timed_out", _("No answer in time")
        CONFLICTED = "conflicted", _("Declared a conflict")

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="seats")
    requirement = models.ForeignKey(DrawRequirement, on_delete=models.CASCADE, related_name="seats")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="seats")
    counter = models.PositiveIntegerField()
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NOTIFIED)
    # The answer link's path: random, so the link reaches only the texted expert (seat ids count up, and a
    # stranger trying codes on /answer/<id>/ could lock every seat of a draw by using up its attempts).
    link_token = models.CharField(max_length=32, unique=True, default=new_link_token)
    code_hash = models.CharField(max_length=64, blank=True)  # the one-time code, keyed hash only
    code_attempts = models.PositiveSmallIntegerField(default=0)  # wrong codes given so far
    # Random, hidden until the reveal: the seat's commitment in the log is SHA-256 of
    # canonical {draw, counter, expert, nonce} (docs/expert-draw.md), so the log names no one.
    nonce = models.CharField(max_length=64, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=200, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["counter"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "counter"], name="unique_draw_counter"),
            models.UniqueConstraint(fields=["draw", "expert"], name="unique_draw_expert"),
        ]

    def __str__(self):
        return f"pick {self.counter} · {self.get_status_display()}"


from .models_alerts import Alert  # noqa: E402,F401  (collusion alerts: evaluation.alerts)
from .models_session import (  # noqa: E402,F401  (the evaluation session: docs/architecture.md §10)
    BidResult,
    Clarification,
    EvaluationSession,
    ExtensionRequest,
    LeaderVote,
    Member,
    QualificationVote,
    Score,
)
