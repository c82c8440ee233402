from accounts.models import Role
from accounts.permissions import has_role, policy


@policy("alerts.view", read_only=True)
def view_alerts(user, region):
    """Regulators read the collusion alerts of their scope (region None: any scope)."""
    return has_role(user, Role.REGULATOR, region)


# Marking an alert reviewed is a regulator's supervision, not an act in the trading procedure (like
# draw.contribute): it changes no tender, bid or session, only records who looked and what they noted,
# and it is logged. So it is read_only, the only kind of permission a regulator may pass.
@policy("alerts.review", read_only=True)
def review_alert(user, alert):
    from accounts.models import Region

    region = Region.objects.filter(code=alert.region_code).select_related("parent__parent").first()
    return region is not None and has_role(user, Role.REGULATOR, region)
