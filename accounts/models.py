import unicodedata

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .credit_code import validate_credit_code


class Region(models.Model):
    """巴中市 and its districts, counties and zones; a tree of two levels today."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("District or county")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    sort_order = models.PositiveSmallIntegerField(default=0)
    # The region's trading center, for the help centre (办事指南); kept by the region's staff.
    contact_name = models.CharField(_("trading center"), max_length=100, blank=True)
    contact_address = models.CharField(_("address"), max_length=200, blank=True)
    contact_phone = models.CharField(_("telephone"), max_length=60, blank=True)
    contact_hours = models.CharField(_("office hours"), max_length=100, blank=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name

    def display_name(self, language=None):
        from django.utils.translation import get_language

        return self.name_en if (language or get_language() or "").startswith("en") else self.name

    def contains(self, other):
        """True when `other` is this region or lies below it."""
        node = other
        while node is not None:
            if node.pk == self.pk:
                return True
            node = node.parent
        return False

    def subtree_ids(self):
        ids = [self.pk]
        frontier = [self.pk]
        while frontier:
            frontier = list(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids


def organization_name_key(name):
    """What makes two organization names the same: full- and half-width forms (NFKC: （） and ()),
    letter case and whitespace do not count."""
    return "".join(unicodedata.normalize("NFKC", name or "").casefold().split())


class Organization(models.Model):
    class Kind(models.TextChoices):
        BIDDER = "bidder", _("Bidder company")
        TENDERER = "tenderer", _("Tenderer")
        AGENCY = "agency", _("Tendering agency")
        CENTER = "center", _("Trading center")
        REGULATOR = "regulator", _("Regulator")

    name = models.CharField(_("name"), max_length=200)
    # organization_name_key(name): one organization per name. Null only for a duplicate that was
    # registered before names had to be unique (migration 0004), so that it could stay.
    name_key = models.CharField(max_length=200, unique=True, null=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("region"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # 法定代表人 as registered: two bidders of one tender with one legal representative is a
    # collusion sign (围标串标, 实施条例 art. 40).
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self._state.adding:  # names are not edited after registration
            self.name_key = organization_name_key(self.name)
        super().save(*args, **kwargs)


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        verbose_name=_("organization"),
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)

    def __str__(self):
        return self.full_name or self.username


class Role(models.TextChoices):
    BIDDER = "bidder", _("Bidder")
    TENDERER = "tenderer", _("Tenderer")
    AGENCY = "agency", _("Agency")
    STAFF = "staff", _("Trading center staff")
    CUSTODIAN = "custodian", _("Key custodian")
    EXPERT = "expert", _("Evaluation expert")
    REGULATOR = "regulator", _("Regulator")


class RoleAssignment(models.Model):
    """A role held by a user, scoped to a region and everything below it.

    Staff and regulators of 巴中市 (the root) act city-wide; those of a county act only there.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("scope"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "region"], name="unique_role_scope")]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.region}"


class PublicKey(models.Model):
    """A public key registered by a user: a custodian's, or a bidder organization's signing or
    encryption key. The private half never reaches the platform."""

    class Purpose(models.TextChoices):
        CUSTODIAN = "custodian", _("Key custodian (RSA-OAEP)")
        BID_SIGNING = "bid_signing", _("Bid signing (ECDSA P-256)")
        BID_ENCRYPTION = "bid_encryption", _("Bid self-check encryption (RSA-OAEP)")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="public_keys")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="public_keys")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    spki_pem = models.TextField(_("public key (PEM)"))
    fingerprint = models.CharField(_("fingerprint (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("public key")
        verbose_name_plural = _("public keys")

    def __str__(self):
        return f"{self.get_purpose_display()} {self.fingerprint[:16]}"


class ApiToken(models.Model):
    """A personal API token (for the bidder CLI). Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class PasswordResetCode(models.Model):
    """A 6-digit code sent by SMS to reset a password. Only its keyed hash is stored (a bare SHA-256 of
    six digits is reversed by trying a million values); it expires soon and allows few attempts."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)  # wrong codes tried; the row goes once used

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"password reset code of {self.user_id}"


class Notice(models.Model):
    """A message to one user about an event that concerns them (issue 14): shown in their workspace and at
    /notices/, and texted through the SMS backend. Written by accounts.notices.notify only."""

    class Kind(models.TextChoices):
        DRAW = "draw", _("Expert draw")
        CLARIFICATION = "clarification", _("Clarification")
        SHARE = "share", _("Key share to release")
        OBJECTION = "objection", _("Objection answered")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="accounts_notice_unread")]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return f"notice {self.pk} to {self.user_id}: {self.kind}"
