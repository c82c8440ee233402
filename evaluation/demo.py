"""The demo expert pool and venues (idempotent). Used by `manage.py load_demo_experts`, after load_demo.

300 experts across every region and every specialty (every pair at least twice), a few suspended and
retired, some employed by the demo bidders and tenderers (so a draw has conflicts to exclude), the
first nine linked to the demo accounts expert1…expert9; two or three venues per county and the
city's main hall.
"""

import datetime

from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import Organization, Region, User

from .actions import pool as actions
from .models import Expert, Specialty, Venue

COUNT = 300
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ["建国", "志强", "晓燕", "明", "丽华", "文博", "海涛", "秀英", "国平", "静", "德胜", "春梅", "俊", "玉兰",
         "学军", "红", "永忠", "敏", "天佑", "雪", "光明", "淑芬", "长青", "磊", "兴华", "婷", "宏伟", "芳", "世杰"]
TITLES = ["高级工程师", "工程师", "正高级工程师", "高级会计师", "高级经济师", "律师", "副教授", "主任医师"]
# Demo organizations some experts work for: a draw for their tenders must exclude them.
EMPLOYERS = [name for _u, _n, name, kind, _r, _role in accounts_demo.PEOPLE if kind in ("bidder", "tenderer")]
VENUES = {
    "511900": [("巴中市公共资源交易中心评标主场", "巴中市巴州区江北大道中段 公共资源交易中心4楼", 25),
               ("巴中市公共资源交易中心第二评标室", "巴中市巴州区江北大道中段 公共资源交易中心4楼", 11)],
    "511902": [("巴州区评标室一", "巴州区回风大道 政务服务中心3楼", 9), ("巴州区评标室二", "巴州区回风大道 政务服务中心3楼", 7)],
    "511903": [("恩阳区评标室一", "恩阳区义阳大道 政务服务中心2楼", 9), ("恩阳区评标室二", "恩阳区义阳大道 政务服务中心2楼", 5)],
    "511921": [("通江县评标室一", "通江县诺江镇 政务服务中心5楼", 9), ("通江县评标室二", "通江县诺江镇 政务服务中心5楼", 7),
               ("通江县远程评标分会场", "通江县诺江镇 政务服务中心5楼", 5)],
    "511922": [("南江县评标室一", "南江县南江镇 政务服务中心4楼", 9), ("南江县评标室二", "南江县南江镇 政务服务中心4楼", 7),
               ("南江县远程评标分会场", "南江县南江镇 政务服务中心4楼", 5)],
    "511923": [("平昌县评标室一", "平昌县江口镇 政务服务中心3楼", 9), ("平昌县评标室二", "平昌县江口镇 政务服务中心3楼", 7)],
    "511971": [("经开区评标室", "巴中经济开发区 管委会2楼", 7), ("经开区远程评标分会场", "巴中经济开发区 管委会2楼", 5)],
}


def id_number(i, region_code):
    """A valid ID number (GB 11643) for demo expert `i`: the region's code, a birth date, serial `i`."""
    prefix = region_code if region_code != "511971" else "511902"  # the zone has no division code
    birth = datetime.date(1960 + (i * 7) % 31, 1 + i % 12, 1 + i % 28)
    first17 = f"{prefix}{birth:%Y%m%d}{i:03d}"
    return first17 + actions.id_check_character(first17)


def rows():
    """[(line, raw)] of the whole demo pool, as an import file would give them."""
    regions = list(Region.objects.order_by("sort_order", "code").values_list("code", flat=True))
    leaves = list(Specialty.objects.filter(parent__isnull=False).order_by("code").values_list("code", flat=True))
    employers = dict(Organization.objects.filter(name__in=EMPLOYERS).values_list("name", "credit_code"))
    accounts = dict(accounts_demo.EXPERTS)
    until = timezone.localdate() + datetime.timedelta(days=90)
    result = []
    for i in range(COUNT):
        region = regions[i % len(regions)]
        # i // len(regions) walks the specialties, so every (region, specialty) pair comes up.
        specialties = [leaves[(i // len(regions)) % len(leaves)]]
        if i % 3 == 0:
            specialties.append(leaves[(i * 5 + 2) % len(leaves)])
        raw = {
            "name": accounts.get(f"expert{i + 1}") or SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)],
            "id_number": id_number(i, region), "phone": f"139{i:08d}", "region": region,
            "specialties": specialties, "title": TITLES[i % len(TITLES)], "status": "正常",
        }
        employer = EMPLOYERS[i % len(EMPLOYERS)] if i % 10 == 5 else None
        if employer in employers:
            raw["employer_credit_code"], raw["employer_name"] = employers[employer], employer
        if i % 50 == 17:
            raw.update(status="暂停", suspended_until=until, suspension_reason="年度考核不合格，暂停抽取")
        elif i % 60 == 31:
            raw["status"] = "退出"
        result.append((i + 1, raw))
    return result


def load():
    """Returns (experts added, venues added)."""
    staff = {code: User.objects.get(username=name) for code, name in accounts_demo.STAFF_USERS.items()}
    city_staff = staff["511900"]
    wanted = rows()
    have = set(Expert.objects.filter(id_number__in=[raw["id_number"] for _l, raw in wanted])
               .values_list("id_number", flat=True))
    missing = [(line, raw) for line, raw in wanted if raw["id_number"] not in have]
    added = 0
    if missing:
        report = actions.import_experts(actor=city_staff, rows=missing, file_name="demo")
        if not report.ok:
            raise RuntimeError(f"demo pool refused: {report.refused[:5]}")
        added = report.imported
    for n, (username, _name) in enumerate(accounts_demo.EXPERTS):
        user = User.objects.filter(username=username).first()
        expert = Expert.objects.filter(id_number=wanted[n][1]["id_number"]).first()
        if user is not None and expert is not None and expert.user_id is None:
            actions.link_account(actor=city_staff, expert_id=expert.pk, user=user)
    venues = 0
    for code, rooms in VENUES.items():
        region = Region.objects.get(code=code)
        for name, address, seats in rooms:
            if not Venue.objects.filter(name=name, region=region).exists():
                actions.create_venue(actor=staff[code], data={"name": name, "region": code, "address": address,
                                                              "seats": seats, "active": True})
                venues += 1
    return added, venues
