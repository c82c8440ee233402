from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Record(models.Model):
    """A signed PDF the platform produced. Written only by records.actions.produce_record."""

    class Kind(models.TextChoices):
        BID_RECEIPT = "bid_receipt", _("Bid receipt")
        OPENING_RECORD = "opening_record", _("Opening record")
        DRAW_RECORD = "draw_record", _("Expert draw record")
        EVALUATION_REPORT = "evaluation_report", _("Evaluation report")
        CANDIDATE_PUBLICITY = "candidate_publicity", _("Candidate publicity")
        AWARD_NOTICE = "award_notice", _("Award notice")
        AWARD_RESULT = "award_result", _("Award result announcement")
        UNSUCCESSFUL_NOTICE = "unsuccessful_notice", _("Notice to an unsuccessful bidder")
        ANNOUNCEMENT = "announcement", _("Announcement")
        COMPLAINT_DECISION = "complaint_decision", _("Complaint decision")
        GREEN_SUMMARY = "green_channel_summary", _("Green channel summary")
        SERVICE_RANKING = "service_ranking", _("Quarterly ranking of the trading centers")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    # A plain reference until the trading app's Tender model exists.
    tender_ref = models.CharField(_("tender"), max_length=40, blank=True, db_index=True)
    region = models.ForeignKey("accounts.Region", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("region"))
    # The party the record is issued to (the bidder of a receipt); its members may download it.
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("issued to"))
    # Further parties whose members may read it: the bidders of an opening record.
    readers = models.ManyToManyField("accounts.Organization", blank=True, related_name="+",
                                     verbose_name=_("also readable by"))
    file = models.FileField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    # [{"name", "user" (id or null for the seal), "certificate" (SHA-256 fingerprint)}], in signing order.
    signers = models.JSONField(_("signers"), default=list)
    anchor_seq = models.BigIntegerField(_("ledger head in the PDF"))
    anchor_hash = models.CharField(_("ledger head hash in the PDF"), max_length=64)
    ledger_seq = models.BigIntegerField(_("ledger entry"), null=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("signed record")
        verbose_name_plural = _("signed records")

    def __str__(self):
        return self.title

    def signer_names(self):
        return [s["name"] for s in self.signers]

    def signed_by_user(self, user_id) -> bool:
        return any(s.get("user") == user_id for s in self.signers)


class SignerCertificate(models.Model):
    """A person's signing certificate from the platform CA. The key is PKCS#8, encrypted under
    PKI_PASSPHRASE; it is decrypted only in memory, at signing time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signer_certificates")
    subject = models.CharField(_("subject"), max_length=100)
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    ca_sha256 = models.CharField(_("issuing CA fingerprint"), max_length=64)
    certificate_pem = models.TextField()
    key_pem = models.TextField()
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-not_after"]
        verbose_name = _("signer certificate")
        verbose_name_plural = _("signer certificates")

    def __str__(self):
        return f"{self.subject} ({self.serial})"
