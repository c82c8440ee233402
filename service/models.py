"""What service efficiency must store: overdue items (超期件) for their causes, and ratings (网上评议).
Whether a step is on time is never stored: service.steps reads it from the trading log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Region


class Step(models.TextChoices):
    REVIEW = "review", _("Review of a submitted tender")
    DRAW = "draw", _("Expert draw after the opening")
    REPORT = "report", _("Evaluation report after the ranking")
    GREEN_ANSWER = "green_answer", _("Answer to a green channel request")
    DISSATISFIED_ANSWER = "dissatisfied_answer", _("Answer to a dissatisfied rating")


class Grade(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Service(models.TextChoices):
    REVIEW = "review", _("Review of the tender")
    OPENING = "opening", _("Bid opening")
    AWARD = "award", _("Award")
    # The answer to a company's objection or question on the tender documents (实施条例 art. 22;
    # 政府采购法 art. 53), rated by the company that raised it.
    ANSWER = "answer", _("Answer to an objection on the tender documents")


class Rating(models.Model):
    """One party's rating of one service it received, named by the log entry of that service. Never
    edited: the center adds its answer beside it."""

    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    entry_seq = models.BigIntegerField(_("log entry of the service"))
    tender = models.ForeignKey("trading.Tender", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("trading center"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("rating"), max_length=20, choices=Grade.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated at"))
    answer_due = models.DateTimeField(_("answer due"), null=True, blank=True)
    answer = models.TextField(_("center's answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.UniqueConstraint(fields=["entry_seq", "organization"], name="one_rating_per_service")]

    def __str__(self):
        return f"{self.tender_id} {self.service} {self.grade}"


class OverdueItem(models.Model):
    """A step found past its limit by the scan. It stays on record; closing it needs the cause."""

    step = models.CharField(_("step"), max_length=30, choices=Step.choices)
    key = models.CharField(max_length=60, unique=True)  # "step:start entry seq", or "dissatisfied_answer:rating"
    tender = models.ForeignKey("trading.Tender", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rating = models.ForeignKey(Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("trading center"))
    green = models.BooleanField(_("green channel"), default=False)
    started_at = models.DateTimeField(_("started"))
    due = models.DateTimeField(_("due"))
    found_at = models.DateTimeField(_("found overdue"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-due", "-id"]
        verbose_name = _("overdue item")
        verbose_name_plural = _("overdue items")
        indexes = [models.Index(fields=["region", "closed_at"], name="overdue_region_open")]

    def __str__(self):
        return self.key
