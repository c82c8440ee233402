"""Account actions: every write to accounts goes through here, with its ledger entry."""

import datetime
import re
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from ledger import chain

from . import throttle
from .credit_code import normalize, validate_credit_code
from .errors import DomainError, NotFound
from .models import Organization, PasswordResetCode, Region, Role, RoleAssignment, User, organization_name_key
from .permissions import check
from .sms import send_sms

# Letters (Latin or Chinese), digits and . _ -, starting with a letter or a digit: nothing a spreadsheet
# reads as a formula (= + - @, tab, CR; issue 9 item 7) and no look-alike letters from other scripts.
_NAME_CHAR = r"A-Za-z0-9\u3400-\u4dbf\u4e00-\u9fff"
USERNAME_PATTERN = re.compile(rf"[{_NAME_CHAR}][{_NAME_CHAR}._-]{{0,149}}")


def _region(code):
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise NotFound(_("Unknown region “%(code)s”.") % {"code": code}, code="unknown_region") from None


def check_credit_code(code):
    code = normalize(code)
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise DomainError(exc.error_list[0].code, exc.error_list[0].message % (exc.error_list[0].params or {}),
                          field="credit_code") from None
    if Organization.objects.filter(credit_code=code).exists():
        raise DomainError("credit_code_taken", _("An organization with this credit code is already registered."),
                          field="credit_code")
    return code


def check_organization_name(name):
    """The name as stored (whitespace runs made one space) or DomainError: one organization per name,
    whatever its letter case, spacing or full-width forms."""
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise DomainError("invalid_name", _("The organization name must have 1 to 200 characters."), field="name")
    if Organization.objects.filter(name_key=organization_name_key(name)).exists():
        raise DomainError("organization_name_taken", _("An organization with this name is already registered."),
                          field="name")
    return name


def check_organization_verified(organization):
    """Only companies verified by trading center staff may register bid keys, upload or finalize bids:
    raises DomainError(organization_unverified) otherwise. `organization` may be None (no company)."""
    if organization is None or organization.verified_at is None:
        raise DomainError("organization_unverified", organization_unverified_message(organization),
                          http_status=403)


def organization_unverified_message(organization):
    if organization is None:
        return _("Only a registered company verified by trading center staff may register bid keys or bid.")
    return _("%(organization)s is not verified yet. Staff of the %(region)s public resource trading center "
             "verify the companies registered in their region; until they have, it cannot register bid keys "
             "or upload bids.") % {"organization": organization.name, "region": organization.region.display_name()}


def create_organization(*, actor, name, kind, credit_code, region_code, legal_representative=""):
    if kind not in Organization.Kind.values:
        raise DomainError("invalid_kind", _("Unknown organization kind."), field="kind")
    legal_representative = " ".join((legal_representative or "").split())
    if len(legal_representative) > 100:
        raise DomainError("invalid_legal_representative", _("The legal representative's name is too long."),
                          field="legal_representative")
    with transaction.atomic():
        name = check_organization_name(name)
        code = check_credit_code(credit_code)
        region = _region(region_code)
        try:
            with transaction.atomic():  # a concurrent registration of the same name or code lost the race
                org = Organization.objects.create(name=name, kind=kind, credit_code=code, region=region,
                                                  legal_representative=legal_representative)
        except IntegrityError:
            raise DomainError("organization_taken", _("This organization was registered a moment ago."),
                              field="name") from None
        chain.append("organization.registered", actor=actor, region=region,
                     payload={"organization": org.pk, "name": name, "kind": kind, "credit_code": code,
                              "legal_representative": legal_representative})
    return org


def check_username(username):
    username = (username or "").strip()
    if not USERNAME_PATTERN.fullmatch(username):
        raise DomainError("invalid_username", _(
            "A user name has 1 to 150 characters: letters (Latin or Chinese), digits, “.”, “_” and “-”, "
            "and starts with a letter or a digit."), field="username")
    return username


def create_user(*, actor, username, password, full_name="", organization=None, phone=""):
    username = check_username(username)
    candidate = User(username=username, full_name=full_name, organization=organization, phone=phone)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(str(m) for m in exc.messages), field="password") from None
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise DomainError("username_taken", _("This user name is taken."), field="username")
        candidate.set_password(password)
        candidate.save()
        chain.append("user.created", actor=actor, region=organization.region if organization else None,
                     payload={"user": candidate.pk, "username": username,
                              "organization": organization.pk if organization else None})
    return candidate


def grant_role(*, actor, user, role, region_code):
    if role not in Role.values:
        raise DomainError("invalid_role", _("Unknown role."), field="role")
    with transaction.atomic():
        region = _region(region_code)
        assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, region=region)
        if created:
            chain.append("role.granted", actor=actor, region=region,
                         payload={"user": user.pk, "role": role, "region": region.code})
    user.__dict__.pop("_role_scopes", None)
    return assignment


def register_company(*, name, credit_code, region_code, username, password, full_name="", phone="",
                     legal_representative=""):
    """A bidder company signs itself up: organization, first user, bidder role, in one transaction."""
    with transaction.atomic():
        org = create_organization(actor=None, name=name, kind=Organization.Kind.BIDDER,
                                  credit_code=credit_code, region_code=region_code,
                                  legal_representative=legal_representative)
        user = create_user(actor=None, username=username, password=password, full_name=full_name,
                           organization=org, phone=phone)
        root = Region.objects.get(parent__isnull=True)
        # Bidders take part in tenders anywhere in the city.
        grant_role(actor=user, user=user, role=Role.BIDDER, region_code=root.code)
    return org, user


def verify_organization(*, actor, organization_id):
    with transaction.atomic():
        try:
            org = Organization.objects.select_for_update().get(pk=organization_id)
        except Organization.DoesNotExist:
            raise NotFound() from None
        check(actor, "organization.verify", org)
        if org.verified_at is not None:
            raise DomainError("already_verified", _("This organization is already verified."))
        org.verified_at = timezone.now()
        org.save(update_fields=["verified_at"])
        chain.append("organization.verified", actor=actor, role=Role.STAFF, region=org.region,
                     payload={"organization": org.pk, "credit_code": org.credit_code})
    return org


def create_api_token(*, actor, name):
    """Returns (token row, the token itself): the token is shown once and never stored."""
    import secrets

    from .models import ApiToken
    from .tokens import PREFIX, digest

    name = (name or "").strip()
    if not name or len(name) > 60:
        raise DomainError("invalid_name", _("Name the token (up to 60 characters)."), field="name")
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(user=actor, name=name, prefix=token[:8], digest=digest(token))
        chain.append("api_token.created", actor=actor, payload={"token": row.pk, "prefix": row.prefix})
    return row, token


def revoke_api_token(*, actor, token_id):
    from .models import ApiToken

    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
        if row is None:
            raise NotFound()
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        chain.append("api_token.revoked", actor=actor, payload={"token": row.pk, "prefix": row.prefix})
    return row


def register_public_key(*, actor, purpose, pem):
    """Register a public key. Custodian keys: RSA ≥ 3072 bits (OAEP); bidder signing: ECDSA P-256;
    bidder encryption: RSA ≥ 3072 bits. A new bidder key replaces the organization's previous one."""
    from .keys import check_public_key
    from .models import PublicKey

    if purpose not in PublicKey.Purpose.values:
        raise DomainError("invalid_purpose", _("Unknown key purpose."), field="purpose")
    if purpose == PublicKey.Purpose.CUSTODIAN:
        check(actor, "key.register_custodian", None)
    else:
        check(actor, "key.register_bidder", None)
        check_organization_verified(actor.organization)
    spki_pem, fingerprint = check_public_key(purpose, pem)
    with transaction.atomic():
        if PublicKey.objects.filter(fingerprint=fingerprint).exists():
            raise DomainError("key_registered", _("This key is already registered."), field="pem")
        org = actor.organization if purpose != PublicKey.Purpose.CUSTODIAN else None
        previous = PublicKey.objects.filter(purpose=purpose, revoked_at__isnull=True)
        previous = previous.filter(organization=org) if org else previous.filter(user=actor)
        now = timezone.now()
        revoked = list(previous.values_list("fingerprint", flat=True))
        previous.update(revoked_at=now)
        key = PublicKey.objects.create(user=actor, organization=org, purpose=purpose, spki_pem=spki_pem,
                                       fingerprint=fingerprint)
        chain.append("key.registered", actor=actor, region=org.region if org else None,
                     payload={"key": key.pk, "purpose": purpose, "fingerprint": fingerprint, "replaces": revoked})
    return key


# Password reset by SMS (issue 9 item 5). At most one code per minute per account: each is a text
# message to somebody's phone, and anyone may ask for any user name.
RESET_RESEND_SECONDS = 60


def _reset_digest(user, code):
    # Keyed with SECRET_KEY: a stolen table alone does not give the codes away.
    return salted_hmac("accounts.password_reset", f"{user.pk}:{code}", algorithm="sha256").hexdigest()


def request_password_reset(*, username, address):
    """Texts a 6-digit code to the account's phone when there is such an active account with a phone.
    Returns nothing either way: the page says the same whoever asks, so it tells no one who has an
    account. Not in the trading log: a request changes nothing, and strangers could fill the log."""
    if throttle.address_locked(address):
        raise DomainError("throttled", throttle.address_locked_message(), http_status=429)
    throttle.record_address_attempt(address)
    username = (username or "").strip()
    now = timezone.now()
    with transaction.atomic():
        # The row lock makes two simultaneous requests for one account send one code.
        user = User.objects.select_for_update().filter(username=username, is_active=True).exclude(phone="").first()
        if user is None:
            return
        codes = PasswordResetCode.objects.filter(user=user)
        if codes.filter(created_at__gt=now - datetime.timedelta(seconds=RESET_RESEND_SECONDS)).exists():
            return
        codes.delete()  # a new code replaces the previous one
        code = f"{secrets.randbelow(10**6):06d}"
        ttl = settings.PASSWORD_RESET_CODE_TTL
        PasswordResetCode.objects.create(user=user, digest=_reset_digest(user, code),
                                         expires_at=now + datetime.timedelta(seconds=ttl))
        text = _("Bazhong public resource trading platform: your password reset code is %(code)s, valid for "
                 "%(minutes)d minutes. If you did not ask for it, ignore this message.") % {
            "code": code, "minutes": max(1, ttl // 60)}
        phone = user.phone
        transaction.on_commit(lambda: send_sms(phone, text))


def reset_password(*, username, code, password, address):
    """Sets a new password when `code` is the account's live reset code. A wrong code uses up one of
    the code's few attempts; the password is checked only once the code is right."""
    if throttle.address_locked(address):
        raise DomainError("throttled", throttle.address_locked_message(), http_status=429)
    now = timezone.now()
    username = (username or "").strip()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username, is_active=True).first()
        row = PasswordResetCode.objects.filter(user=user).first() if user else None
        usable = row is not None and row.expires_at > now and row.attempts < settings.PASSWORD_RESET_MAX_ATTEMPTS
        right = usable and constant_time_compare(row.digest, _reset_digest(user, (code or "").strip()))
        if usable and not right:
            # Counted in this transaction, which commits: the error is raised after it.
            row.attempts += 1
            row.save(update_fields=["attempts"])
        if right:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise DomainError("weak_password", " ".join(str(m) for m in exc.messages), field="password") from None
            user.set_password(password)
            user.save(update_fields=["password"])
            PasswordResetCode.objects.filter(user=user).delete()
            # No code, phone or password in the log: only who reset and how.
            region = user.organization.region if user.organization else None
            chain.append("user.password_reset", actor=user, region=region,
                         payload={"user": user.pk, "username": user.username, "via": "sms"})
    if not right:
        throttle.record_address_attempt(address)
        raise DomainError("invalid_code", _("The code is wrong or has expired. Ask for a new code if needed."),
                          field="code")
    throttle.clear(username, address)
    return user
