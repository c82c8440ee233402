"""Account actions: every write to accounts goes through here, with its ledger entry."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger import chain

from .credit_code import normalize, validate_credit_code
from .errors import DomainError, NotFound
from .models import Organization, Region, Role, RoleAssignment, User
from .permissions import check


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


def create_organization(*, actor, name, kind, credit_code, region_code):
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DomainError("invalid_name", _("The organization name must have 1 to 200 characters."), field="name")
    if kind not in Organization.Kind.values:
        raise DomainError("invalid_kind", _("Unknown organization kind."), field="kind")
    with transaction.atomic():
        code = check_credit_code(credit_code)
        region = _region(region_code)
        org = Organization.objects.create(name=name, kind=kind, credit_code=code, region=region)
        chain.append("organization.registered", actor=actor, region=region,
                     payload={"organization": org.pk, "name": name, "kind": kind, "credit_code": code})
    return org


def create_user(*, actor, username, password, full_name="", organization=None, phone=""):
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise DomainError("invalid_username", _("The user name must have 1 to 150 characters."), field="username")
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


def register_company(*, name, credit_code, region_code, username, password, full_name="", phone=""):
    """A bidder company signs itself up: organization, first user, bidder role, in one transaction."""
    with transaction.atomic():
        org = create_organization(actor=None, name=name, kind=Organization.Kind.BIDDER,
                                  credit_code=credit_code, region_code=region_code)
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
