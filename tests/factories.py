"""Test data through the same actions the platform uses (so every row has its ledger entry)."""

import itertools
import os

from accounts import actions
from accounts.credit_code import make_code
from accounts.models import Organization

PASSWORD = "test-password-123"
_counter = itertools.count(1)

ROLE_ORG_KIND = {
    "bidder": Organization.Kind.BIDDER,
    "tenderer": Organization.Kind.TENDERER,
    "agency": Organization.Kind.AGENCY,
    "staff": Organization.Kind.CENTER,
    "regulator": Organization.Kind.REGULATOR,
}


def credit_code(region_code="511900"):
    """A valid unified social credit code, unique per call."""
    n = next(_counter)
    return make_code(f"91{region_code}MA{n:07d}")


def make_org(kind="bidder", region_code="511900", name=None, verified=True):
    """An organization; verified (as trading center staff would have done: only verified companies may
    register bid keys and bid) unless `verified=False`. The stamp is set here, without the staff action
    and its log entry, so tests that count users or log entries see only what they made."""
    n = next(_counter)
    org = actions.create_organization(
        actor=None, name=name or f"测试单位{n}", kind=kind, credit_code=credit_code(region_code), region_code=region_code,
    )
    if verified:
        from django.utils import timezone

        Organization.objects.filter(pk=org.pk).update(verified_at=timezone.now())
        org.refresh_from_db(fields=["verified_at"])
    return org


def make_user(role, region_code="511900", username=None, org=None, password=PASSWORD, verified=True, phone=""):
    """A user holding `role` in the region, with a new organization of the role's kind unless `org` is given
    (verified unless `verified=False`)."""
    kind = ROLE_ORG_KIND.get(role)
    if org is None and kind is not None:
        org = make_org(kind, region_code, verified=verified)
    user = actions.create_user(actor=None, username=username or f"{role}{next(_counter)}", password=password,
                               full_name=f"{role} user", organization=org, phone=phone)
    actions.grant_role(actor=None, user=user, role=role, region_code=region_code)
    return user


def tender_terms(now=None, **overrides):
    """Valid tender terms relative to `now` (documents tomorrow for 7 days, deadline in 30 days)."""
    import datetime

    from django.utils import timezone

    now = now or timezone.now()
    day = datetime.timedelta(days=1)
    terms = {
        "title": "测试标段", "venue": "巴中市公共资源交易中心开标室", "estimated_price_fen": 100_000_000,
        "bid_security_fen": 2_000_000, "documents_from": now + day, "documents_until": now + 9 * day,
        "bid_deadline": now + 30 * day, "evaluation_method": "comprehensive",
        "criteria": [{"name": "投标报价", "weight": 60, "kind": "price"},
                     {"name": "技术方案", "weight": 40, "kind": "technical"}],
    }
    terms.update(overrides)
    return terms


def pdf_file(name="招标文件.pdf", body=b"%PDF-1.4\n% test document\n%%EOF\n"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, content_type="application/pdf")


def make_tender(owner, region_code=None, *, category="works", publish_by=None, document=True, **overrides):
    """A draft tender of `owner`'s organization (published when `publish_by`, a staff user, is given)."""
    from trading import actions

    region_code = region_code or owner.organization.region.code
    project = actions.create_project(actor=owner, name="测试项目", region_code=region_code, category=category)
    tender = actions.create_tender(actor=owner, project_id=project.pk, **tender_terms(**overrides))
    if document:
        actions.add_document(actor=owner, tender_id=tender.pk, uploaded=pdf_file())
    if publish_by is not None:
        custodians = make_custodians(3)
        actions.set_custodians(actor=publish_by, tender_id=tender.pk, user_ids=[u.pk for u in custodians], threshold=2)
        actions.submit_tender(actor=owner, tender_id=tender.pk)
        actions.approve_tender(actor=publish_by, tender_id=tender.pk)
    tender.refresh_from_db()
    return tender


# Test keys: making an RSA-3072 key costs 0.1-1 s of CPU, and named by user pk (a new pk in every test on
# PostgreSQL, whose sequences never roll back) a key would be made for nearly every custodian and bidder of
# the suite. Instead a name keeps its key for as long as the test that named it runs; then the key goes
# back to a session-wide pool for a later test (its rows, the registered public keys, were rolled back or
# flushed with that test). Keys named outside a test (class-scoped worlds) stay theirs. Within a test
# every name has a key of its own, so two users never share one.
_KEYS = {}  # name -> key
_FREE = {}  # ("rsa", bits) or ("ecc",) -> keys named by no one
_named_in_test = None  # names given a key during the current test, or None between tests


def _new_rsa(bits):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from sealedbid.ceremony import from_openssl

    return from_openssl(rsa.generate_private_key(public_exponent=65537, key_size=bits))


_TEST_PROCESS = os.getpid()
_opening_keys = itertools.count(1)


def pooled_signer_key(generate):
    """Stands in for records.pki.new_key in the test process, as pooled_opening_key does for opening keys:
    every expert and staff member who signs gets a certificate with a key of its own (a real key, made by
    OpenSSL, from the pool)."""
    counter = itertools.count(1)

    def signer_key(bits):
        if os.getpid() != _TEST_PROCESS:
            return generate(bits)
        return _named(f"signer-key-{next(counter)}", ("x509-rsa", bits), lambda: generate(bits))

    return signer_key


def pooled_opening_key(generate):
    """Stands in for sealedbid.ceremony._generate_rsa in the test process (tests/conftest.py): each
    publication's opening key is a real RSA-3072 key made by OpenSSL, taken from the pool above rather than
    made anew (publishing is in most tests' set-up, and making the key was a sixth of the suite's CPU).
    Distinct within a test, as every tender's key is. Processes forked from the test process (the browser
    tests' servers) make their own: their copy of the pool would hand out keys the parent hands out too."""
    def opening_key():
        if os.getpid() != _TEST_PROCESS:
            return generate()
        return rsa_key(f"opening-key-{next(_opening_keys)}")

    return opening_key


def _new_ecc():
    from Crypto.PublicKey import ECC

    return ECC.generate(curve="P-256")


def _named(name, kind, make):
    if name not in _KEYS:
        free = _FREE.setdefault(kind, [])
        _KEYS[name] = free.pop() if free else make()
        if _named_in_test is not None:
            _named_in_test.append((name, kind))
    return _KEYS[name]


def rsa_key(name, bits=3072):
    """A test RSA key (pycryptodome) for `name`, made by OpenSSL (~10x faster than pycryptodome)."""
    return _named(name, ("rsa", bits), lambda: _new_rsa(bits))


def ecc_key(name):
    return _named(name, ("ecc",), _new_ecc)


def keys_for_one_test():
    """Context manager for one test (tests/conftest.py): the keys named inside go back to the pool after."""
    import contextlib

    @contextlib.contextmanager
    def scope():
        global _named_in_test
        _named_in_test = named = []
        try:
            yield
        finally:
            _named_in_test = None
            for name, kind in named:
                _FREE.setdefault(kind, []).append(_KEYS.pop(name))

    return scope()


def make_custodians(n=3):
    """n key custodians, each with a registered RSA-3072 key (custodian_key(user) gives the private key)."""
    users = []
    for _ in range(n):
        user = make_user("custodian", "511900", org=None)
        key = rsa_key(f"custodian{len(users)}-{user.pk}")
        actions.register_public_key(actor=user, purpose="custodian", pem=key.public_key().export_key().decode())
        user.private_key = key
        users.append(user)
    return users


def register_bidder_keys(bidder):
    """Registers the bidder organization's signing and encryption keys; returns (signing, encryption) keys."""
    signing, encryption = ecc_key(f"sign-{bidder.pk}"), rsa_key(f"enc-{bidder.pk}")
    actions.register_public_key(actor=bidder, purpose="bid_signing", pem=signing.public_key().export_key(format="PEM"))
    actions.register_public_key(actor=bidder, purpose="bid_encryption", pem=encryption.public_key().export_key().decode())
    return signing, encryption


def assign_custodians(tender, n=3, threshold=2):
    """Custodians chosen by a city staff member (as trading center staff do at review)."""
    from trading import actions as trading_actions

    staff = make_user("staff", "511900")
    custodians = make_custodians(n)
    trading_actions.set_custodians(actor=staff, tender_id=tender.pk, user_ids=[u.pk for u in custodians],
                                   threshold=threshold)
    return custodians


def seed_calendar():
    """trading.calendar.seed_from_package for the tests, with the same result: the package's holidays and
    make-up working days upserted, and its years marked complete. After a flush (transactional tests, e2e)
    the tables are empty, and one INSERT per table replaces ~800 update_or_create calls (seconds a test)."""
    from chinese_calendar.constants import holidays, workdays

    from trading.models import CalendarDay, CalendarYear

    wanted = {day: (False, str(name)) for day, name in holidays.items()}
    wanted.update({day: (True, str(name)) for day, name in workdays.items()})
    held = {row.date: row for row in CalendarDay.objects.filter(date__in=list(wanted))}
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, is_workday=workday, name=name) for day, (workday, name) in wanted.items()
         if day not in held])
    for day, row in held.items():
        if (row.is_workday, row.name) != wanted[day]:
            row.is_workday, row.name = wanted[day]
            row.save(update_fields=["is_workday", "name"])
    years = {day.year for day in wanted}
    have = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source="chinese-calendar") for year in sorted(years - have)])
