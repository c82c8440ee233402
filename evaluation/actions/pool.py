"""Expert pool and venue actions (docs/architecture.md §10): every write to experts and venues, each with its log entry.

The trading log never carries a full ID number: entries name an expert by id and the last four
characters of the ID number only (个人信息保护法 art. 28: an ID number is sensitive personal information).
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.credit_code import normalize as normalize_credit_code
from accounts.credit_code import validate_credit_code
from accounts.errors import DomainError, NotFound
from accounts.models import Organization, Region
from accounts.permissions import check, city_region
from ledger import chain

from ..models import Expert, Specialty, Venue

# GB 11643-1999: 17 digits, then a check character over them, ISO 7064 MOD 11-2.
ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
ID_CHECK = "10X98765432"
ID_PATTERN = re.compile(r"\d{17}[\dX]")
PHONE_PATTERN = re.compile(r"1[3-9]\d{9}")
STATUS_WORDS = {"active": "正常", "suspended": "暂停", "retired": "退出"}
LIMITS = {"name": 50, "title": 50, "employer_name": 200, "suspension_reason": 200, "address": 200,
          "venue_name": 100}


def masked_id(id_number):
    return "****" + id_number[-4:]


def id_check_character(first17):
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_id_number(value):
    """An 18-character PRC resident ID number (GB 11643), upper-case X, or DomainError."""
    value = (value or "").strip().upper()
    if not ID_PATTERN.fullmatch(value):
        raise DomainError("invalid_id_number", _(
            "An ID number has 18 characters: 17 digits and a digit or X."), field="id_number")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900 or birth > timezone.localdate():
        raise DomainError("id_number_birth_date", _(
            "The 7th to 14th characters of an ID number are a date of birth; these are not."), field="id_number")
    if id_check_character(value[:17]) != value[17]:
        raise DomainError("id_number_check_digit", _(
            "The last character of this ID number does not match its check digit (GB 11643): check it for a typo."),
            field="id_number")
    return value


def check_phone(value):
    value = re.sub(r"[\s-]", "", value or "")
    if not PHONE_PATTERN.fullmatch(value):
        raise DomainError("invalid_phone", _("A mobile phone number has 11 digits and starts with 13 to 19."),
                          field="phone")
    return value


def _text(value, field_name, *, required=True, limit_key=None):
    value = " ".join(str(value or "").split())
    if required and not value:
        raise DomainError("required", _("This field is required."), field=field_name)
    limit = LIMITS[limit_key or field_name]
    if len(value) > limit:
        raise DomainError("too_long", _("At most %(n)s characters.") % {"n": limit}, field=field_name)
    return value


class Lookups:
    """Regions, specialties and organizations by what a form or a file names them by, read once."""

    def __init__(self):
        self.regions = {r.code: r for r in Region.objects.all()}
        leaves = Specialty.objects.filter(parent__isnull=False).select_related("parent")
        self.specialties = {}
        for s in leaves:
            self.specialties[s.code.upper()] = s
            self.specialties[f"{s.parent.name}-{s.name}"] = s
        self._orgs = {}

    def load_organizations(self, credit_codes):
        wanted = {c for c in credit_codes if c and c not in self._orgs}
        for org in Organization.objects.filter(credit_code__in=wanted):
            self._orgs[org.credit_code] = org

    def organization(self, credit_code):
        if credit_code not in self._orgs:
            self.load_organizations([credit_code])
        return self._orgs.get(credit_code)

    def region(self, code):
        region = self.regions.get(str(code or "").strip())
        if region is None:
            raise DomainError("unknown_region", _("Unknown region code “%(code)s”.") % {"code": code},
                              field="region")
        return region

    def specialty_list(self, names):
        """`names`: codes or 类别-名称, a list or text separated by ; (full-width ； too)."""
        if isinstance(names, str):
            names = re.split(r"[;；]", names)
        found = []
        for name in names:
            key = "-".join(part.strip() for part in str(name).replace("－", "-").split("-")).strip()
            if not key:
                continue
            specialty = self.specialties.get(key.upper()) or self.specialties.get(key)
            if specialty is None:
                raise DomainError("unknown_specialty", _("Unknown specialty “%(name)s”.") % {"name": key},
                                  field="specialties")
            if specialty not in found:
                found.append(specialty)
        if not found:
            raise DomainError("required", _("Give at least one specialty."), field="specialties")
        return found


@dataclass
class ExpertData:
    name: str
    id_number: str
    phone: str
    region: Region
    specialties: list
    title: str = ""
    employer: Organization | None = None
    employer_credit_code: str = ""
    employer_name: str = ""
    status: str = Expert.Status.ACTIVE
    suspended_until: datetime.date | None = None
    suspension_reason: str = ""

    def fields(self):
        return {k: getattr(self, k) for k in (
            "name", "id_number", "phone", "region", "title", "employer", "employer_credit_code", "employer_name",
            "status", "suspended_until", "suspension_reason")}


def check_suspension(until, reason):
    if not isinstance(until, datetime.date) or until <= timezone.localdate():
        raise DomainError("invalid_suspension_date", _("A suspension ends on a date after today."),
                          field="suspended_until")
    return until, _text(reason, "suspension_reason")


def check_expert(raw, lookups, *, id_number_required=True):
    """The expert described by `raw` (a dict of text as a form or a file row gives it), or DomainError
    naming the first bad field. Uniqueness of the ID number is the caller's check."""
    data = {}
    data["name"] = _text(raw.get("name"), "name")
    id_text = (raw.get("id_number") or "").strip()
    data["id_number"] = check_id_number(id_text) if id_text or id_number_required else ""
    data["phone"] = check_phone(raw.get("phone"))
    data["region"] = lookups.region(raw.get("region"))
    data["specialties"] = lookups.specialty_list(raw.get("specialties") or [])
    data["title"] = _text(raw.get("title"), "title", required=False)
    code = normalize_credit_code(raw.get("employer_credit_code"))
    data["employer_name"] = _text(raw.get("employer_name"), "employer_name", required=False)
    data["employer_credit_code"] = code
    data["employer"] = None
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            error = exc.error_list[0]
            raise DomainError(error.code, error.message % (error.params or {}), field="employer_credit_code") from None
        data["employer"] = lookups.organization(code)
        if data["employer"] is not None:
            data["employer_name"] = data["employer"].name
    status = (raw.get("status") or "").strip()
    status = {v: k for k, v in STATUS_WORDS.items()}.get(status, status.lower() or Expert.Status.ACTIVE)
    if status not in Expert.Status.values:
        raise DomainError("invalid_status", _("Unknown status “%(status)s”: use 正常, 暂停 or 退出.") % {
            "status": raw.get("status")}, field="status")
    data["status"] = status
    if status == Expert.Status.SUSPENDED:
        data["suspended_until"], data["suspension_reason"] = check_suspension(
            raw.get("suspended_until"), raw.get("suspension_reason"))
    return ExpertData(**data)


def _payload(expert, **extra):
    return {"expert": expert.pk, "name": expert.name, "id_last4": expert.id_last4, "region": expert.region.code,
            **extra}


def _id_taken(id_number, exclude_pk=None):
    return Expert.objects.filter(id_number=id_number).exclude(pk=exclude_pk).exists()


def _taken_error():
    return DomainError("id_number_taken", _("An expert with this ID number is already in the pool."),
                       field="id_number")


def access_expert(user, expert_id, *, for_update=False, permission="expert.view"):
    qs = Expert.objects.select_related("region__parent", "employer")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    expert = qs.filter(pk=expert_id).first()
    if expert is None:
        raise NotFound(_("No such expert."))
    check(user, "expert.view", expert)
    if permission != "expert.view":
        check(user, permission, expert)
    return expert


def create_expert(*, actor, data):
    """`data`: the raw fields (check_expert). Returns the new expert."""
    check(actor, "expert.manage", None)
    with transaction.atomic():
        clean = check_expert(data, Lookups())
        if _id_taken(clean.id_number):
            raise _taken_error()
        try:
            with transaction.atomic():
                expert = Expert.objects.create(**clean.fields())
        except IntegrityError:  # the same ID number added a moment ago
            raise _taken_error() from None
        expert.specialties.set(clean.specialties)
        chain.append("expert.created", actor=actor, role="staff", region=expert.region,
                     payload=_payload(expert, specialties=[s.code for s in clean.specialties], status=expert.status))
    return expert


def update_expert(*, actor, expert_id, data):
    """Edit the expert's details. An empty ID number keeps the one stored (forms never show it whole).
    Status changes go through suspend/reinstate/retire."""
    check(actor, "expert.manage", None)
    with transaction.atomic():
        expert = access_expert(actor, expert_id, for_update=True, permission="expert.manage")
        clean = check_expert({**data, "status": expert.status, "suspended_until": expert.suspended_until,
                              "suspension_reason": expert.suspension_reason}, Lookups(), id_number_required=False)
        clean.id_number = clean.id_number or expert.id_number
        if clean.id_number != expert.id_number and _id_taken(clean.id_number, expert.pk):
            raise _taken_error()
        changed = [name for name, value in clean.fields().items() if getattr(expert, name) != value]
        old_specialties = set(expert.specialties.values_list("pk", flat=True))
        if old_specialties != {s.pk for s in clean.specialties}:
            changed.append("specialties")
        if not changed:
            return expert
        for name, value in clean.fields().items():
            setattr(expert, name, value)
        try:
            with transaction.atomic():
                expert.save()
        except IntegrityError:
            raise _taken_error() from None
        expert.specialties.set(clean.specialties)
        chain.append("expert.updated", actor=actor, role="staff", region=expert.region,
                     payload=_payload(expert, changed=sorted(changed)))
    return expert


def suspend_expert(*, actor, expert_id, until, reason):
    """Suspended experts are left out of every draw until the date (实施条例 art. 46 keeps a pool of
    experts fit to serve; the center suspends those found unfit for a time)."""
    with transaction.atomic():
        expert = access_expert(actor, expert_id, for_update=True, permission="expert.manage")
        if expert.status == Expert.Status.RETIRED:
            raise DomainError("expert_retired", _("This expert has retired from the pool."))
        expert.suspended_until, expert.suspension_reason = check_suspension(until, reason)
        expert.status = Expert.Status.SUSPENDED
        expert.save(update_fields=["status", "suspended_until", "suspension_reason"])
        chain.append("expert.suspended", actor=actor, role="staff", region=expert.region,
                     payload=_payload(expert, until=expert.suspended_until.isoformat(),
                                      reason=expert.suspension_reason))
    return expert


def reinstate_expert(*, actor, expert_id):
    with transaction.atomic():
        expert = access_expert(actor, expert_id, for_update=True, permission="expert.manage")
        if expert.status != Expert.Status.SUSPENDED:
            raise DomainError("expert_not_suspended", _("Only a suspended expert can be reinstated."))
        expert.status, expert.suspended_until, expert.suspension_reason = Expert.Status.ACTIVE, None, ""
        expert.save(update_fields=["status", "suspended_until", "suspension_reason"])
        chain.append("expert.reinstated", actor=actor, role="staff", region=expert.region, payload=_payload(expert))
    return expert


def retire_expert(*, actor, expert_id):
    """Retirement is final: the expert stays for the history of past draws, never drawn again."""
    with transaction.atomic():
        expert = access_expert(actor, expert_id, for_update=True, permission="expert.manage")
        if expert.status == Expert.Status.RETIRED:
            raise DomainError("expert_retired", _("This expert has retired from the pool."))
        expert.status, expert.suspended_until, expert.suspension_reason = Expert.Status.RETIRED, None, ""
        expert.save(update_fields=["status", "suspended_until", "suspension_reason"])
        chain.append("expert.retired", actor=actor, role="staff", region=expert.region, payload=_payload(expert))
    return expert


def link_account(*, actor, expert_id, user):
    """The expert signs in to accept draws and evaluate with this account (it must hold the expert role)."""
    from accounts.models import Role
    from accounts.permissions import has_role

    with transaction.atomic():
        expert = access_expert(actor, expert_id, for_update=True, permission="expert.manage")
        if not has_role(user, Role.EXPERT):
            raise DomainError("not_an_expert_account", _("This account does not hold the evaluation expert role."))
        if Expert.objects.filter(user=user).exclude(pk=expert.pk).exists():
            raise DomainError("account_linked", _("This account belongs to another expert."))
        if expert.user_id == user.pk:
            return expert
        expert.user = user
        expert.save(update_fields=["user"])
        chain.append("expert.account_linked", actor=actor, role="staff", region=expert.region,
                     payload=_payload(expert, user=user.pk))
    return expert


# --- import ------------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    total: int = 0
    refused: list = field(default_factory=list)  # [(line, [messages])]
    imported: int = 0

    @property
    def ok(self):
        return not self.refused


def check_import(rows, lookups=None):
    """[(line, raw dict)] → (ImportReport, [ExpertData]); every refused row with every reason."""
    lookups = lookups or Lookups()
    lookups.load_organizations(normalize_credit_code(raw.get("employer_credit_code")) for _line, raw in rows)
    report, good, first_line = ImportReport(total=len(rows)), [], {}
    numbers = {str(raw.get("id_number") or "").strip().upper() for _line, raw in rows}
    taken = set(Expert.objects.filter(id_number__in=numbers).values_list("id_number", flat=True))
    for line, raw in rows:
        try:
            data = check_expert(raw, lookups)
        except DomainError as exc:
            report.refused.append((line, [str(exc.message)]))
            continue
        problems = []
        if data.id_number in taken:
            problems.append(str(_("An expert with this ID number is already in the pool.")))
        if data.id_number in first_line:
            problems.append(str(_("The same ID number as line %(line)s.") % {"line": first_line[data.id_number]}))
        first_line.setdefault(data.id_number, line)
        if problems:
            report.refused.append((line, problems))
        else:
            good.append(data)
    return report, good


def import_experts(*, actor, rows, file_name="", file_sha256="", dry_run=False):
    """All or nothing: any refused row and nothing is imported. Returns the ImportReport."""
    check(actor, "expert.manage", None)
    with transaction.atomic():
        report, good = check_import(rows)
        if not report.ok or dry_run or not good:
            return report
        try:
            with transaction.atomic():
                experts = Expert.objects.bulk_create([Expert(**d.fields()) for d in good])
        except IntegrityError:  # a concurrent import or edit took one of the ID numbers
            report.refused.append((0, [str(_taken_error().message)]))
            return report
        if any(e.pk is None for e in experts):  # backends that do not return ids from a bulk insert
            by_number = dict(Expert.objects.filter(id_number__in=[d.id_number for d in good])
                             .values_list("id_number", "pk"))
            for e in experts:
                e.pk = by_number[e.id_number]
        through = Expert.specialties.through
        through.objects.bulk_create([through(expert_id=e.pk, specialty_id=s.pk)
                                     for e, d in zip(experts, good, strict=True) for s in d.specialties])
        chain.append("expert.imported", actor=actor, role="staff", region=city_region(),
                     payload={"count": len(experts), "experts": [e.pk for e in experts], "file": file_name[:200],
                              "file_sha256": file_sha256})
        report.imported = len(experts)
    return report


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


# --- venues ------------------------------------------------------------------------------------------

def _check_venue(actor, data, lookups):
    region = lookups.region(data.get("region"))
    check(actor, "venue.manage", region)
    seats = data.get("seats")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= 999:
        raise DomainError("invalid_seats", _("Seats are a whole number from 1 to 999."), field="seats")
    return {"name": _text(data.get("name"), "name", limit_key="venue_name"), "region": region,
            "address": _text(data.get("address"), "address", required=False), "seats": seats,
            "active": bool(data.get("active", True))}


def create_venue(*, actor, data):
    check(actor, "venue.list", None)
    with transaction.atomic():
        venue = Venue.objects.create(**_check_venue(actor, data, Lookups()))
        chain.append("venue.created", actor=actor, role="staff", region=venue.region,
                     payload={"venue": venue.pk, "name": venue.name, "seats": venue.seats, "active": venue.active})
    return venue


def update_venue(*, actor, venue_id, data):
    with transaction.atomic():
        venue = Venue.objects.select_for_update().select_related("region").filter(pk=venue_id).first()
        if venue is None:
            raise NotFound(_("No such venue."))
        check(actor, "venue.manage", venue.region)  # and the new region below
        for name, value in _check_venue(actor, data, Lookups()).items():
            setattr(venue, name, value)
        venue.save()
        chain.append("venue.updated", actor=actor, role="staff", region=venue.region,
                     payload={"venue": venue.pk, "name": venue.name, "seats": venue.seats, "active": venue.active})
    return venue
