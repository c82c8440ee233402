"""Release packages, records with their compiled release, the JSON Lines dump, and the date window of
the API (docs/ocds.md §1)."""

import copy
import datetime
import json
import re

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from ledger.canonical import utc_iso

from . import build

VERSION = "1.1"
# The bids extension (bids.details): the opened bids, published with the opening record.
EXTENSIONS = ["https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"]
DEFAULT_PUBLISHER = "巴中市公共资源交易中心"
JSONL_BATCH = 500  # log entries per step of the dump: one short query set per step, whatever the log's size


def publisher():
    return {"name": getattr(settings, "OCDS_PUBLISHER_NAME", DEFAULT_PUBLISHER), "uri": f"{build.site_url()}/"}


def _published(releases):
    return max((r["date"] for r in releases), default=None) or utc_iso(timezone.now())


def release_package(releases, uri):
    """A release package. 'Generated on demand', so publishedDate is its latest release's date."""
    return {"uri": uri, "version": VERSION, "extensions": EXTENSIONS, "publisher": publisher(),
            "publishedDate": _published(releases), "releases": releases}


# --- records ------------------------------------------------------------------------------------------

def _merge(into, new):
    """OCDS merging, simplified to what our releases hold: objects merge field by field, arrays of objects
    with an `id` merge item by item (identity), any other value is replaced by the later one."""
    for key, value in new.items():
        old = into.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            _merge(old, value)
        elif (isinstance(value, list) and isinstance(old, list) and value
              and all(isinstance(item, dict) and "id" in item for item in value)):
            index = {item.get("id"): item for item in old if isinstance(item, dict)}
            for item in value:
                if item["id"] in index:
                    _merge(index[item["id"]], item)
                else:
                    old.append(copy.deepcopy(item))
                    index[item["id"]] = old[-1]
        else:
            into[key] = copy.deepcopy(value)


def compile_release(releases):
    """The compiled release of one ocid's releases (in date order): tag `compiled`, the latest date."""
    compiled = {}
    for release in releases:
        _merge(compiled, release)
    compiled["id"] = f"{releases[-1]['ocid']}-compiled"
    compiled["tag"] = ["compiled"]
    compiled["date"] = releases[-1]["date"]
    return compiled


def record(releases):
    return {"ocid": releases[0]["ocid"], "releases": releases, "compiledRelease": compile_release(releases)}


def record_package(releases, uri):
    """A record package of one record. There is no record-package schema in the reference copy: its
    releases and compiled release are each validated against the release schema."""
    return {"uri": uri, "version": VERSION, "extensions": EXTENSIONS, "publisher": publisher(),
            "publishedDate": _published(releases), "records": [record(releases)]}


MAX_OCID = 100  # a prefix of 11 characters and a tender code of at most 40


def releases_of_ocid(ocid_text):
    """Every release of the tender `ocid_text` names, or [] (unknown, foreign prefix, not public)."""
    code = build.tender_code(ocid_text) if len(ocid_text) <= MAX_OCID else None
    if code is None:
        return []
    return build.releases_for_entries(build.release_entries().filter(tender_ref=code))


# --- the date window ----------------------------------------------------------------------------------

def _invalid(name):
    return DomainError("invalid_parameter", _("The parameter “%(name)s” must be an ISO 8601 date (2026-12-03) or "
                                              "date and time with its offset (2026-12-03T08:00:00+08:00), "
                                              "years 1970 to 9998.") % {"name": name}, parameter=name)


# A date, or a date and time with its offset (RFC 3339 without leap seconds); ASCII digits only.
MOMENT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
                  r"([Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$")
MOMENT_MAX_LENGTH = 32


def moment(value, name, *, end=False):
    """`since`/`until` of the API: None when absent; a date is a whole day of Beijing time (until: up to
    the end of that day); a date and time needs its offset. Anything else: 400 `invalid_parameter`."""
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) > MOMENT_MAX_LENGTH or not re.fullmatch(MOMENT_PATTERN, text):
        raise _invalid(name)
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            if end:
                day += datetime.timedelta(days=1)
            at = datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_default_timezone())
        else:
            at = datetime.datetime.fromisoformat(text.upper())
            if end:
                at += datetime.timedelta(microseconds=1)
    except (ValueError, OverflowError):
        raise _invalid(name) from None
    if not 1970 <= at.year <= 9998:
        raise _invalid(name)
    return at


def window(params):
    """(since, until-exclusive) from a request's query parameters."""
    since = moment(params.get("since"), "since")
    until = moment(params.get("until"), "until", end=True)
    if since and until and until <= since:
        raise DomainError("invalid_parameter", _("“until” is before “since”."), parameter="until")
    return since, until


def filtered_entries(since=None, until=None):
    entries = build.release_entries()
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    return entries


def jsonl_steps(since=None, until=None, batch=JSONL_BATCH):
    """The JSON Lines dump, one release per line, in log order: yields (releases in this step, bytes).
    Steps go by seq (keyset), so no cursor stays open between them."""
    last = 0
    while True:
        entries = list(filtered_entries(since, until).filter(seq__gt=last)[:batch])
        if not entries:
            return
        last = entries[-1].seq
        releases = build.releases_for_entries(entries)
        text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in releases)
        yield len(releases), text.encode()
