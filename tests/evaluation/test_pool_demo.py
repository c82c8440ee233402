"""`manage.py load_demo_experts` (make run, after load_demo): the demo pool and venues, idempotent."""

import io

from django.core.management import call_command

from accounts import demo as accounts_demo
from accounts.models import Region
from evaluation.models import Expert, Specialty, Venue
from ledger import sequencer
from ledger.models import ChainHead


def _head():
    """The log's head once what was committed is hashed (ledger.sequencer)."""
    sequencer.hash_pending()
    return ChainHead.objects.get()

def test_the_demo_pool_covers_every_region_and_specialty_and_a_second_run_adds_nothing(regions, specialties):
    accounts_demo.load()
    out = io.StringIO()
    call_command("load_demo_experts", stdout=out)
    assert "300 experts (300 added)" in out.getvalue()
    assert Expert.objects.count() == 300
    pairs = set(Expert.objects.values_list("region__code", "specialties__code"))
    assert pairs >= {(r, s) for r in Region.objects.values_list("code", flat=True)
                     for s in Specialty.objects.filter(parent__isnull=False).values_list("code", flat=True)}
    assert Expert.objects.filter(status="suspended", suspended_until__isnull=False).count() == 6
    assert Expert.objects.filter(status="retired").count() == 5
    assert Expert.objects.filter(employer__kind="bidder").count() >= 5
    assert Expert.objects.filter(employer__kind="tenderer").count() >= 2
    linked = dict(Expert.objects.filter(user__isnull=False).values_list("user__username", "name"))
    assert linked == dict(accounts_demo.EXPERTS)
    for region in Region.objects.filter(level="county"):
        assert 2 <= Venue.objects.filter(region=region).count() <= 3
    assert Venue.objects.filter(region__code="511900", name="巴中市公共资源交易中心评标主场").exists()

    head = _head()
    venues = Venue.objects.count()
    out = io.StringIO()
    call_command("load_demo_experts", stdout=out)
    assert "300 experts (0 added)" in out.getvalue() and "(0 added)" in out.getvalue().split(",")[1]
    assert (Expert.objects.count(), Venue.objects.count()) == (300, venues)
    assert _head().seq == head.seq
