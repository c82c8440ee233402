"""Every release the demo produces validates against the OCDS 1.1.5 schema (issue 13)."""

import io

import pytest
from django.core.management import call_command

from tests.ocds.conftest import jsonl
from trading.ocds import validate


@pytest.fixture
def reference_data(regions):
    """The rows data migrations make, which transactional tests flush: specialties and the holiday calendar."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    ensure_specialties(Specialty)
    if not CalendarYear.objects.exists():
        seed_from_package(CalendarDay, CalendarYear)


# Transactional, as in tests/test_demo.py: the demo's steps run their on-commit work.
@pytest.mark.django_db(transaction=True)
def test_every_release_of_the_demo_validates(client, platform_pki, reference_data, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    call_command("load_demo", keys_dir=str(tmp_path / "keys"), stdout=io.StringIO())
    lines, _text = jsonl(client)
    tags = {tag for release in lines for tag in release["tag"]}
    assert {"tender", "tenderUpdate"} <= tags  # announcements and the opened tenders' opening records
    for release in lines:
        assert validate.release_errors(release) == [], release["id"]
    by_ocid = {}
    for release in lines:
        by_ocid.setdefault(release["ocid"], []).append(release)
    for ocid, releases in by_ocid.items():
        record = client.get(f"/api/ocds/records/{ocid}/").json()["records"][0]
        assert record["releases"] == releases
        assert validate.release_errors(record["compiledRelease"]) == [], ocid
    package = client.get("/api/ocds/releases/").json()
    assert validate.package_errors(package) == []
    print(sorted(tags), len(lines), len(by_ocid))
