"""Validation against the OCDS 1.1.5 schema copied in `schema/`, offline (docs/ocds.md §5).

The schemas are JSON Schema draft 4. The package schema refers to the release schema by its published
URL: a `referencing` registry maps that URL to the local copy, so nothing is fetched. Formats are checked
too (`date-time`, `uri`), by small local checkers rather than optional packages."""

import datetime
import functools
import json
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"

formats = FormatChecker(formats=())


@formats.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    if "T" not in value and "t" not in value:
        raise ValueError("no time")
    return datetime.datetime.fromisoformat(value).tzinfo is not None  # RFC 3339 requires an offset


@formats.checks("uri")
def _uri(value):
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "mailto"))


def _load(name):
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@functools.cache
def _registry():
    release = Resource.from_contents(_load("release-schema.json"), default_specification=DRAFT4)
    return Registry().with_resource(RELEASE_SCHEMA_URL, release)


@functools.cache
def release_validator():
    return Draft4Validator(_load("release-schema.json"), registry=_registry(), format_checker=formats)


@functools.cache
def package_validator():
    return Draft4Validator(_load("release-package-schema.json"), registry=_registry(), format_checker=formats)


def _messages(validator, instance):
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]


def release_errors(release):
    """Every way `release` (a dict) breaks the release schema, as 'path: message' lines; [] when valid."""
    return _messages(release_validator(), release)


def package_errors(package):
    """The same for a release package (its releases are checked through the registry)."""
    return _messages(package_validator(), package)


def codelist(name):
    """The codes of `codelists/<name>.csv` (first column), e.g. codelist("tenderStatus")."""
    import csv

    with (SCHEMA_DIR / "codelists" / f"{name}.csv").open(encoding="utf-8") as f:
        return [row["Code"] for row in csv.DictReader(f)]
