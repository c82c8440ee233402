from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, Region


class Category(models.TextChoices):
    WORKS = "works", _("Construction works")
    PROCUREMENT = "procurement", _("Government procurement")
    LAND = "land", _("Land use rights")
    MINING = "mining", _("Mining rights")
    STATE_ASSETS = "assets", _("State-owned property rights")


class EvaluationMethod(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("Comprehensive evaluation")
    LOWEST_PRICE = "lowest_price", _("Lowest evaluated price")


class Project(models.Model):
    """A project (项目) groups one or more tenders (标段/包)."""

    code = models.CharField(_("project code"), max_length=40, unique=True)
    name = models.CharField(_("project name"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="projects", verbose_name=_("region"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    owner = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="projects", verbose_name=_("tenderer or agency")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.name


class Tender(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting review")
        RETURNED = "returned", _("Returned for changes")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Bids closed")
        OPENING = "opening", _("Opening")
        OPENED = "opened", _("Opened")
        EVALUATING = "evaluating", _("Under evaluation")
        EVALUATED = "evaluated", _("Evaluated")
        PUBLICIZING = "publicizing", _("Candidates publicized")
        AWARDED = "awarded", _("Awarded")
        FAILED = "failed", _("Failed (re-tender)")
        TERMINATED = "terminated", _("Terminated")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tenders")
    code = models.CharField(_("tender code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    # Denormalized from the project for the portal's filters and indexes.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="tenders", verbose_name=_("region"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(_("description"), blank=True)
    estimated_price_fen = models.BigIntegerField(_("estimated price (fen)"))
    bid_security_fen = models.BigIntegerField(_("bid security (fen)"), default=0)
    documents_from = models.DateTimeField(_("documents available from"))
    documents_until = models.DateTimeField(_("documents available until"))
    # 招标投标法 art. 34: the opening happens at the deadline; one field serves both.
    bid_deadline = models.DateTimeField(_("bid deadline and opening time"))
    original_deadline = models.DateTimeField(_("original deadline"), null=True, blank=True)
    venue = models.CharField(_("opening venue"), max_length=200)
    evaluation_method = models.CharField(_("evaluation method"), max_length=20, choices=EvaluationMethod.choices)
    criteria = models.JSONField(_("evaluation criteria"), default=list, blank=True)
    # How the committee applies the method (evaluation.terms): qualification criteria, the price rule,
    # trimming, the outlier threshold, anonymous technical review. {} means the defaults.
    evaluation_terms = models.JSONField(_("evaluation terms"), default=dict, blank=True)
    bid_letter_fields = models.JSONField(_("bid letter fields"), default=list)
    max_bid_bytes = models.BigIntegerField(_("bid size limit (bytes)"), default=2 * 1024**3)
    custodian_threshold = models.PositiveSmallIntegerField(_("custodians needed to open"), default=3)
    review_note = models.TextField(_("review note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    # The last clock-driven stage written to the trading log (documents open/closed, bids closed).
    clock_stage = models.CharField(max_length=20, blank=True)
    failure_reason = models.CharField(_("reason for failure"), max_length=300, blank=True)
    # A re-tender (重新招标) of a failed tender links back to it.
    retender_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="retenders", verbose_name=_("re-tender of"))

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="tender_portal"),
            models.Index(fields=["region", "status", "-published_at", "-id"], name="tender_portal_region"),
            models.Index(fields=["category", "status", "-published_at", "-id"], name="tender_portal_category"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def owner(self):
        return self.project.owner


class TenderDocument(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="documents")
    amendment = models.ForeignKey(
        "Amendment", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(upload_to="tender-documents/%Y/%m/")
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    media_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("tender document")
        verbose_name_plural = _("tender documents")

    def __str__(self):
        return self.name


class Amendment(models.Model):
    class Kind(models.TextChoices):
        CLARIFICATION = "clarification", _("Clarification")
        AMENDMENT = "amendment", _("Amendment")

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="amendments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"))
    affects_bids = models.BooleanField(_("may affect bid preparation"), default=True)
    issued_at = models.DateTimeField(_("issued at"))
    old_deadline = models.DateTimeField(null=True, blank=True)
    new_deadline = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("clarification or amendment")
        verbose_name_plural = _("clarifications and amendments")

    def __str__(self):
        return f"{self.get_kind_display()} {self.issued_at:%Y-%m-%d}"


class Objection(models.Model):
    """An objection to the tender documents (实施条例 art. 22)."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="objections")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("objection"))
    raised_at = models.DateTimeField(_("raised at"))
    answer_due = models.DateTimeField(_("answer due"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # An answer after answer_due is accepted but flagged (and shown to regulators as an alert).
    answered_late = models.BooleanField(_("answered late"), default=False)
    # The amendment the answer was issued as, when it changed the documents or had to set a new deadline.
    amendment = models.ForeignKey(
        Amendment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("amendment")
    )

    class Meta:
        ordering = ["raised_at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self):
        return f"{self.tender.code} objection {self.pk}"


class CalendarDay(models.Model):
    """A statutory holiday or a make-up working day, as the State Council announces them each year."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("make-up working day"), default=False)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """A year whose State Council arrangement is complete: confirmed by city staff by an explicit act
    (trading.actions.confirm_calendar_year), or seeded from `chinese-calendar` (up to 2026). Entering a
    single CalendarDay never creates one. Without it, periods in that year count the statutory floor
    and weekends only and are provisional (trading/calendar.py)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=100)
    loaded_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class CalendarFlag(models.Model):
    """A published tender whose documents window or bidding period became too short when a year's
    holiday arrangement was confirmed: shown to its staff until they act (an amendment moves the dates)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="calendar_flags")
    year = models.PositiveSmallIntegerField(_("year"))
    code = models.CharField(max_length=40)  # rules.check_schedule's code: which period is too short
    earliest = models.DateField()  # the earliest lawful end of that period under the confirmed calendar
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tender", "year", "code"], name="unique_calendar_flag")]

    def __str__(self):
        return f"{self.tender_id} {self.year} {self.code}"

    @property
    def message(self):
        if self.code == "documents_window_too_short":
            text = _("With the %(year)s holiday arrangement the documents window is too short: documents must "
                     "stay available until the end of %(day)s (Regulations on the Implementation of the "
                     "Bidding Law, art. 16). Issue an amendment.")
        else:
            text = _("With the %(year)s holiday arrangement the bidding period is too short: the earliest bid "
                     "deadline is %(day)s (Bidding Law, art. 24). Issue an amendment that moves the deadline.")
        return text % {"year": self.year, "day": self.earliest.isoformat()}


class TenderCustodian(models.Model):
    """A key custodian of a tender's opening key and what the server keeps of their share:
    the share encrypted to the custodian's key and its hash; the plain share only once released
    at the opening."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="custodians")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="custodianships")
    key = models.ForeignKey("accounts.PublicKey", on_delete=models.PROTECT, related_name="+")
    index = models.PositiveSmallIntegerField(null=True, blank=True)
    encrypted_share = models.TextField(blank=True)
    share_hash = models.CharField(max_length=64, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_share = models.TextField(blank=True)

    class Meta:
        ordering = ["tender", "index", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "user"], name="unique_tender_custodian")]

    def __str__(self):
        return f"{self.tender.code} custodian {self.user}"


class OpeningKey(models.Model):
    """The public result of the opening-key ceremony (sealedbid.ceremony): the public key and
    the private key encrypted under K, which only k custodians together can rebuild."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="opening_key")
    fingerprint = models.CharField(_("opening key fingerprint"), max_length=64, unique=True)
    public_key_pem = models.TextField(_("opening public key"))
    threshold = models.PositiveSmallIntegerField()
    ceremony = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.tender.code} {self.fingerprint[:16]}"


class BidUpload(models.Model):
    """A resumable upload of one sealed envelope: create → parts at increasing offsets → finalize."""

    class Status(models.TextChoices):
        OPEN = "open", _("Uploading")
        FINALIZED = "finalized", _("Finalized")
        REFUSED = "refused", _("Refused")
        ABANDONED = "abandoned", _("Abandoned by the bidder")
        EXPIRED = "expired", _("Expired at the deadline")

    id = models.UUIDField(primary_key=True, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="uploads")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    refusal_code = models.CharField(max_length=40, blank=True)
    # When the bidder's finalize of the complete upload reached the platform, if before the deadline:
    # the bid was delivered then (招标投标法 arts. 28 and 36), however long its check takes, and the
    # opening waits for it (trading.actions.bids.finalize_upload, opening.start_opening).
    finalize_arrived_at = models.DateTimeField(null=True, blank=True)
    storage_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tender", "organization", "status"], name="upload_open_per_bidder")]

    def __str__(self):
        return str(self.id)


class Bid(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REPLACED = "replaced", _("Replaced")

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bids")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    upload = models.OneToOneField(BidUpload, on_delete=models.PROTECT, related_name="bid")
    envelope = models.CharField(max_length=200)  # storage name of the sealed envelope
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    header = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    receipt_no = models.CharField(max_length=40, unique=True)
    receipt = models.TextField()  # canonical JSON, signed
    receipt_signature = models.TextField()
    receipt_record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    # Where the finalize request came from: bids of one tender from one address or one device are a
    # collusion sign (实施条例 art. 40). The device is a digest of the browser's User-Agent and the
    # bidder tool's device id, never shown to other bidders.
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    client_device = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "organization"], condition=models.Q(status="submitted"),
                                    name="one_live_bid_per_bidder"),
        ]

    def __str__(self):
        return self.receipt_no


class SealedLogEntry(models.Model):
    """A bid event logged before the deadline as a commitment only (招标投标法 art. 22: before the
    deadline nobody may learn who or how many have bid). The trading log entry `seq` carries
    SHA-256(`document`); at the deadline the document, with its random nonce, is published in a
    `bid.revealed` entry (`revealed_seq`), so anyone can recompute the commitment.
    See docs/trading-log-commitments.md."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="sealed_log")
    seq = models.BigIntegerField(unique=True)  # the commitment's trading log entry
    commitment = models.CharField(max_length=64)
    document = models.TextField()  # canonical JSON: exactly the bytes that were hashed
    revealed_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["tender", "revealed_seq"], name="sealed_log_unrevealed")]

    def __str__(self):
        return f"#{self.seq} {self.commitment[:12]}"


class Opening(models.Model):
    """The remote opening (不见面开标) of one tender."""

    class Status(models.TextChoices):
        AWAITING_SHARES = "awaiting_shares", _("Waiting for the custodians' keys")
        DECRYPTING = "decrypting", _("Decrypting bids")
        READING = "reading", _("Reading out the bids")
        CLOSED = "closed", _("Closed")

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="opening")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_SHARES)
    started_at = models.DateTimeField()
    key_rebuilt_at = models.DateTimeField(null=True, blank=True)
    decrypted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The host's confirmation window: bidders confirm the record (or object) until then.
    confirm_until = models.DateTimeField(_("confirmations close at"), null=True, blank=True)

    def __str__(self):
        return f"{self.tender.code} opening"


class OpenedBid(models.Model):
    """The outcome of opening one bid. 电子招标投标办法 art. 31: a bid that cannot be decrypted through
    the bidder's fault counts as revoked (撤销), otherwise as withdrawn (撤回)."""

    class Outcome(models.TextChoices):
        OPENED = "opened", pgettext_lazy("bid outcome", "Opened")
        REVOKED = "revoked", _("Revoked (bidder's fault)")
        WITHDRAWN = "withdrawn", _("Withdrawn (not the bidder's fault)")

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="opened")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    bid_letter = models.JSONField(default=dict)
    opened_at = models.DateTimeField()

    def __str__(self):
        return f"{self.bid.receipt_no} {self.outcome}"


class OpenedFile(models.Model):
    """A decrypted bid document: served only through a permission-checked, logged view."""

    opened = models.ForeignKey(OpenedBid, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=200)
    media_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=300)

    def __str__(self):
        return self.name


class HallAttendance(models.Model):
    """Signed in to the opening hall (签到): bidders present online, the host, supervisors, custodians."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    signed_in_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_in_at"]
        constraints = [models.UniqueConstraint(fields=["tender", "user"], name="unique_hall_attendance")]

    def __str__(self):
        return f"{self.tender.code} {self.user}"


class OpeningConfirmation(models.Model):
    """A bidder confirms the opening record, or objects to it; the host answers on the spot
    (实施条例 art. 44)."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirmed")
        OBJECTION = "objection", _("Objection")

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="opening_confirmations")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField(blank=True)
    at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.tender.code} {self.kind}"


class DocumentRead(models.Model):
    """Every read of a decrypted bid document (who, what, when)."""

    file = models.ForeignKey(OpenedFile, on_delete=models.PROTECT, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.file} read by {self.user}"
from .models_announce import Announcement  # noqa: E402, F401
from .models_award import Award, Candidate, CandidateObjection, Complaint, Publicity  # noqa: E402, F401
from .models_green import GreenChannelRequest, GreenNote, Milestone  # noqa: E402, F401
