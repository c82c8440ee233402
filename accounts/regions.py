"""The regions of the platform: 巴中市 and its districts, counties and the economic development zone."""

CITY = ("511900", "巴中市", "Bazhong City")
COUNTIES = [
    ("511902", "巴州区", "Bazhou District"),
    ("511903", "恩阳区", "Enyang District"),
    ("511921", "通江县", "Tongjiang County"),
    ("511922", "南江县", "Nanjiang County"),
    ("511923", "平昌县", "Pingchang County"),
    # The zone has no national administrative division code; this internal code is stable.
    ("511971", "巴中经济开发区", "Bazhong Economic Development Zone"),
]


def ensure_regions(region_model):
    """Create or update the region tree; idempotent (used by the data migration and tests)."""
    code, name, name_en = CITY
    city, _ = region_model.objects.update_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "level": "city", "parent": None, "sort_order": 0}
    )
    for order, (code, name, name_en) in enumerate(COUNTIES, start=1):
        region_model.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "level": "county", "parent": city, "sort_order": order},
        )
