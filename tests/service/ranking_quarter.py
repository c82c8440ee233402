"""A constructed quarter (2026 Q3) for the ranking tests: the trading log as the actions write it, entry by
entry at its own instant, and ratings through service.actions. The figures the tests expect are worked out
by hand in tests/service/test_ranking.py."""

import time_machine
from django.db import transaction

from evaluation.actions.pool import create_venue
from ledger import chain
from service.actions import rate_service
from tests.factories import make_tender

from .conftest import at

NOW = at(2026, 10, 12, 10, 0)  # Q3 has ended; Q4 is the current quarter


def log(action, tender, moment, **payload):
    with time_machine.travel(moment, tick=False), transaction.atomic():
        return chain.append(action, role="staff", region=tender.region.code, tender_ref=tender.code,
                            payload={"tender": tender.pk, **payload})


def rate(user, entry, grade, moment):
    with time_machine.travel(moment, tick=False):
        return rate_service(actor=user, entry_seq=entry.seq, grade=grade, comment="")


def build(make_user, city_staff, tongjiang_staff):
    with time_machine.travel(at(2026, 7, 1, 8, 0), tick=False):
        city_owner = make_user("tenderer", "511900", username="city_owner")
        tj_owner = make_user("tenderer", "511921", username="tj_owner")
        nj_owner = make_user("tenderer", "511922", username="nj_owner")
        tj_venue = create_venue(actor=tongjiang_staff, data={"name": "通江县评标室", "region": "511921", "seats": 9})
        city_venue = create_venue(actor=city_staff, data={"name": "市中心评标室", "region": "511900", "seats": 9})
        c1, t1, t2 = make_tender(city_owner), make_tender(tj_owner), make_tender(tj_owner)
        n1, n2 = make_tender(nj_owner), make_tender(nj_owner)
    # 巴中市 (city): review on time, draw on time, report late; stages 10.0 / 7.0 / 7.0 days; not remote.
    log("tender.submitted", c1, at(2026, 8, 5, 9, 0))
    c1_published = log("tender.published", c1, at(2026, 8, 7, 9, 0))  # due Mon 10 Aug 24:00
    log("opening.closed", c1, at(2026, 8, 17, 9, 0))
    log("draw.requested", c1, at(2026, 8, 17, 10, 0), requirements=[{"index": 0, "venue": None, "count": 5}])
    log("evaluation.ranked", c1, at(2026, 8, 20, 9, 0))
    log("evaluation.closed", c1, at(2026, 8, 24, 10, 0))  # due Fri 21 Aug 24:00: late
    log("award.candidates_recorded", c1, at(2026, 8, 25, 10, 0))  # from the report: the evaluation ended before
    c1_award = log("award.confirmed", c1, at(2026, 8, 31, 10, 0))
    rate(city_owner, c1_published, "satisfied", at(2026, 8, 8, 9, 0))
    rate(city_owner, c1_award, "basic", at(2026, 9, 1, 9, 0))
    # 通江县: t1 reviewed late, t2 on time, t1's draw requested before its opening (on time); the experts at
    # the county's and the city's venues (remote); stages 15.0 / 3.0 / 4.0 days.
    log("tender.submitted", t1, at(2026, 7, 6, 9, 0))
    log("tender.submitted", t2, at(2026, 7, 6, 9, 0))
    t2_published = log("tender.published", t2, at(2026, 7, 7, 9, 0))
    t1_published = log("tender.published", t1, at(2026, 7, 13, 10, 0))  # due Thu 9 Jul 24:00: late
    log("draw.requested", t1, at(2026, 7, 27, 9, 0),
        requirements=[{"index": 0, "venue": tj_venue.pk, "count": 3}, {"index": 1, "venue": city_venue.pk, "count": 2}])
    log("opening.closed", t1, at(2026, 7, 28, 10, 0))
    log("award.candidates_recorded", t1, at(2026, 7, 31, 10, 0))  # evaluated off the platform
    log("award.confirmed", t1, at(2026, 8, 4, 10, 0))
    rate(tj_owner, t1_published, "dissatisfied", at(2026, 7, 14, 9, 0))
    rate(tj_owner, t2_published, "satisfied", at(2026, 7, 8, 9, 0))
    # 南江县: one review on time in Q3; another started in Q3 but done (late) in Q4, and rated in Q4: neither
    # counts in Q3.
    log("tender.submitted", n1, at(2026, 9, 28, 9, 0))
    log("tender.published", n1, at(2026, 9, 29, 9, 0))
    log("tender.submitted", n2, at(2026, 9, 29, 9, 0))
    n2_published = log("tender.published", n2, at(2026, 10, 12, 9, 0))  # late after the holidays
    rate(nj_owner, n2_published, "dissatisfied", at(2026, 10, 12, 9, 30))
    return {"c1": c1, "t1": t1, "n1": n1}
