"""Demo organizations and users of every role (idempotent). Used by `manage.py load_demo`."""

from accounts import actions
from accounts.credit_code import make_code
from accounts.models import Organization, User

DEMO_PASSWORD = "Bazhong-demo-2026"  # noqa: S105 - demo accounts only, printed by load_demo

CENTERS = {
    "511900": "巴中市公共资源交易中心",
    "511902": "巴州区公共资源交易中心",
    "511903": "恩阳区公共资源交易中心",
    "511921": "通江县公共资源交易中心",
    "511922": "南江县公共资源交易中心",
    "511923": "平昌县公共资源交易中心",
    "511971": "巴中经济开发区公共资源交易中心",
}
STAFF_USERS = {
    "511900": "city_staff", "511902": "bazhou_staff", "511903": "enyang_staff", "511921": "tongjiang_staff",
    "511922": "nanjiang_staff", "511923": "pingchang_staff", "511971": "kfq_staff",
}
# (username, full name, organization, kind, region, role)
PEOPLE = [
    ("city_regulator", "王监督", "巴中市发展和改革委员会", "regulator", "511900", "regulator"),
    ("tongjiang_regulator", "李监督", "通江县发展和改革局", "regulator", "511921", "regulator"),
    ("tenderer", "张招标", "巴中市交通运输局", "tenderer", "511900", "tenderer"),
    ("tongjiang_tenderer", "赵招标", "通江县教育局", "tenderer", "511921", "tenderer"),
    ("agency", "陈代理", "四川巴山招标代理有限公司", "agency", "511902", "agency"),
    ("bidder1", "刘投标", "巴中蜀道建设工程有限公司", "bidder", "511902", "bidder"),
    ("bidder2", "杨投标", "通江红云建筑有限公司", "bidder", "511921", "bidder"),
    ("bidder3", "黄投标", "南江光雾山路桥有限公司", "bidder", "511922", "bidder"),
    ("bidder4", "周投标", "平昌江口建设有限公司", "bidder", "511923", "bidder"),
    ("bidder5", "吴投标", "四川米仓山工程咨询有限公司", "bidder", "511903", "bidder"),
]
CUSTODIANS = [("custodian1", "孙保管"), ("custodian2", "马保管"), ("custodian3", "朱保管"),
              ("custodian4", "胡保管"), ("custodian5", "郭保管")]
EXPERTS = [(f"expert{i}", name) for i, name in enumerate(
    ["何专家", "高专家", "林专家", "罗专家", "郑专家", "梁专家", "谢专家", "宋专家", "唐专家"], start=1)]


def _org(name, kind, region_code, serial):
    existing = Organization.objects.filter(name=name).first()
    if existing:
        return existing
    code = make_code(f"91{region_code}MA{serial:07d}")
    return actions.create_organization(actor=None, name=name, kind=kind, credit_code=code, region_code=region_code)


def _user(username, full_name, org, role, region_code):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = actions.create_user(actor=None, username=username, password=DEMO_PASSWORD, full_name=full_name,
                                   organization=org)
    actions.grant_role(actor=None, user=user, role=role, region_code=region_code)
    return user


def _verify(org):
    """Only verified companies may register bid keys and bid: the staff of the company's region verify it,
    as they would after checking its papers."""
    if org.verified_at is None:
        staff = User.objects.get(username=STAFF_USERS[org.region.code])
        actions.verify_organization(actor=staff, organization_id=org.pk)


def load(stdout=None):
    """Create the demo accounts, the bidders' companies verified; returns [(username, role, region code,
    organization)]."""
    rows = []
    serial = 1
    centers = {}
    for region_code, name in CENTERS.items():
        centers[region_code] = _org(name, "center", region_code, serial)
        serial += 1
    for region_code, username in STAFF_USERS.items():
        _user(username, f"{CENTERS[region_code][:-6]}工作人员", centers[region_code], "staff", region_code)
        rows.append((username, "staff", region_code, CENTERS[region_code]))
    for username, full_name, org_name, kind, region_code, role in PEOPLE:
        org = _org(org_name, kind, region_code, serial)
        serial += 1
        # Bidders and agencies work anywhere in the city.
        scope = "511900" if role in ("bidder", "agency") else region_code
        _user(username, full_name, org, role, scope)
        if kind == "bidder":
            _verify(org)
        rows.append((username, role, scope, org_name))
    for username, full_name in CUSTODIANS:
        _user(username, full_name, centers["511900"], "custodian", "511900")
        rows.append((username, "custodian", "511900", CENTERS["511900"]))
    for username, full_name in EXPERTS:
        _user(username, full_name, None, "expert", "511900")
        rows.append((username, "expert", "511900", ""))
    return rows
