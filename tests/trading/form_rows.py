"""Helpers for posting the tender form (templates/trading/form.html): its scoring criteria as rows."""

import datetime

from django.utils import timezone


def criteria_rows(*rows, empty=2):
    """The formset fields of `rows` ((name, points, kind) each), followed by `empty` untouched rows, as a
    browser posts them (an empty row's fields are empty strings)."""
    data = {"criteria-TOTAL_FORMS": str(len(rows) + empty), "criteria-INITIAL_FORMS": "0"}
    for i, (name, weight, kind) in enumerate([*rows, *[("", "", "")] * empty]):
        data.update({f"criteria-{i}-name": name, f"criteria-{i}-weight": str(weight), f"criteria-{i}-kind": kind})
    return data


STANDARD_ROWS = (("投标报价", 60, "price"), ("技术方案", 40, "technical"))


def new_tender_post(**overrides):
    """A valid post of the new-tender form (通江县, comprehensive method), `overrides` applied
    (a None value leaves the field out)."""
    now = timezone.localtime()
    day = datetime.timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "project_name": "通江县道路项目", "region": "511921", "category": "works",
        "title": "道路工程", "description": "", "venue": "通江县开标室", "estimated_price": "1000000",
        "bid_security": "20000", "documents_from": (now + day).strftime(fmt),
        "documents_until": (now + 9 * day).strftime(fmt), "bid_deadline": (now + 30 * day).strftime(fmt),
        "evaluation_method": "comprehensive", **criteria_rows(*STANDARD_ROWS),
        "bid_letter_fields": ["price", "duration_days"], "max_bid_mb": "100",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
