"""The live remote evaluation session (docs/architecture.md §10; 招标投标法 art. 37–41; 实施条例 art. 48–53).

One session per tender, hosted from the main venue (主场) with sub-venues (副场). Written only by
evaluation.actions.session / .review / .clarify; the stage machine is documented in
docs/evaluation-session.md. Scores are Decimal points with 2 places; money is integer fen.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationSession(models.Model):
    class Stage(models.TextChoices):
        CHECK_IN = "check_in", _("Check-in")
        COMMITMENTS = "commitments", _("Commitments and conflicts")
        LEADER = "leader", _("Leader election")
        QUALIFICATION = "qualification", _("Qualification review")
        SCORING = "scoring", _("Scoring")
        REVIEW = "review", _("Review of the scores")
        RANKING = "ranking", _("Ranking and dissent")
        SIGNING = "signing", _("Signing the report")
        CLOSED = "closed", _("Closed")

    tender = models.OneToOneField("trading.Tender", on_delete=models.PROTECT, related_name="evaluation_session")
    draw = models.ForeignKey("evaluation.Draw", on_delete=models.PROTECT, related_name="+")
    main_venue = models.ForeignKey("evaluation.Venue", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.CHECK_IN)
    # The tender's evaluation terms, frozen when the session opens (evaluation.terms).
    terms = models.JSONField(default=dict)
    # 暗标: bid codes shown to the committee while technical scoring runs; unmasked when sheets lock.
    codes = models.JSONField(default=dict)  # {bid id (str): "A"}
    unmasked = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=200, blank=True)
    stage_deadline = models.DateTimeField(null=True, blank=True)
    leader = models.ForeignKey("evaluation.Member", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    leader_round = models.PositiveSmallIntegerField(default=1)
    leader_candidates = models.JSONField(default=list)  # member ids eligible this round ([] = everyone)
    ranking = models.JSONField(null=True, blank=True)  # the computed ranking (evaluation.scoring), canonical
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    report_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("evaluation session")
        verbose_name_plural = _("evaluation sessions")

    def __str__(self):
        return f"session {self.pk} · {self.tender_id} · {self.stage}"


class Member(models.Model):
    """A committee member of a session: one accepted seat of the draw. Removed on a declared conflict
    (the draw then replaces the seat and the replacement becomes a new member)."""

    session = models.ForeignKey(EvaluationSession, on_delete=models.CASCADE, related_name="members")
    seat = models.OneToOneField("evaluation.Seat", on_delete=models.PROTECT, related_name="member")
    expert = models.ForeignKey("evaluation.Expert", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="evaluation_memberships")
    venue = models.ForeignKey("evaluation.Venue", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    committed_at = models.DateTimeField(null=True, blank=True)  # signed the commitment (承诺书)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=40, blank=True)  # "conflict"
    qualification_submitted_at = models.DateTimeField(null=True, blank=True)
    sheet_submitted_at = models.DateTimeField(null=True, blank=True)
    sheet_returned_reason = models.CharField(max_length=300, blank=True)
    dissent = models.TextField(blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)  # agreed to the ranking (or wrote dissent)
    signed_at = models.DateTimeField(null=True, blank=True)  # consented to sign the report
    online = models.PositiveSmallIntegerField(default=0)  # open sockets (presence board)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"member {self.pk} · session {self.session_id}"

    @property
    def active(self):
        return self.removed_at is None


class LeaderVote(models.Model):
    session = models.ForeignKey(EvaluationSession, on_delete=models.CASCADE, related_name="leader_votes")
    round = models.PositiveSmallIntegerField()
    voter = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "round", "voter"], name="one_leader_vote")]

    def __str__(self):
        return f"round {self.round}: {self.voter_id} → {self.candidate_id}"


class QualificationVote(models.Model):
    """One member's pass/fail on one bid and one qualification criterion (index into terms)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="qualification_votes")
    bid = models.ForeignKey("trading.OpenedBid", on_delete=models.PROTECT, related_name="+")
    criterion = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "bid", "criterion"], name="one_qualification_vote")]

    def __str__(self):
        return f"{self.member_id} · {self.bid_id} · {self.criterion}: {self.passed}"


class BidResult(models.Model):
    """A bid's standing in the session: qualified or not (with reasons), its price score."""

    session = models.ForeignKey(EvaluationSession, on_delete=models.CASCADE, related_name="results")
    bid = models.ForeignKey("trading.OpenedBid", on_delete=models.PROTECT, related_name="+")
    qualified = models.BooleanField(null=True)
    fail_reasons = models.JSONField(default=list)  # [{"criterion": i, "reasons": [...]}]
    price_fen = models.BigIntegerField()
    price_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "bid"], name="one_result_per_bid")]

    def __str__(self):
        return f"{self.session_id} · {self.bid_id}: {self.qualified}"


class Score(models.Model):
    """One member's points for one bid on one (non-price) criterion (index into the tender's criteria)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="scores")
    bid = models.ForeignKey("trading.OpenedBid", on_delete=models.PROTECT, related_name="+")
    criterion = models.PositiveSmallIntegerField()
    points = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "bid", "criterion"], name="one_score")]

    def __str__(self):
        return f"{self.member_id} · {self.bid_id} · {self.criterion}: {self.points}"


class ExtensionRequest(models.Model):
    """A request to extend the evaluation time (实施条例 art. 48: granted when more than 1/3 agree)."""

    session = models.ForeignKey(EvaluationSession, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    agreed = models.JSONField(default=list)  # member ids
    granted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"+{self.minutes} min · session {self.session_id}"


class Clarification(models.Model):
    """澄清 (招标投标法 art. 39; 实施条例 art. 52): the committee, through its leader, asks one bidder;
    the bidder answers in its workspace before the deadline. The answer may not change the substance."""

    session = models.ForeignKey(EvaluationSession, on_delete=models.CASCADE, related_name="clarifications")
    bid = models.ForeignKey("trading.OpenedBid", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    asked_at = models.DateTimeField()
    deadline = models.DateTimeField()
    answer = models.TextField(blank=True)
    answer_file = models.CharField(max_length=300, blank=True)  # storage name
    answer_file_name = models.CharField(max_length=200, blank=True)
    answer_sha256 = models.CharField(max_length=64, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self):
        return f"clarification {self.pk} · session {self.session_id}"
