"""The specialty taxonomy of the expert pool: categories and the specialties experts hold.

Codes are stable ASCII (imports and exports name specialties by code, draws by id); names are the
Chinese names the trading centers use (评标专家专业分类标准, simplified to what 巴中 evaluates).
"""

# (category code, category name, [(specialty code, specialty name)])
TAXONOMY = [
    ("ENG", "工程类", [
        ("ENG-BLD", "房屋建筑"),
        ("ENG-MUN", "市政公用"),
        ("ENG-WAT", "水利水电"),
        ("ENG-ROD", "公路交通"),
        ("ENG-PWR", "电力"),
        ("ENG-LND", "园林绿化"),
        ("ENG-INS", "机电安装"),
        ("ENG-DEC", "装饰装修"),
    ]),
    ("ECO", "经济类", [
        ("ECO-CST", "工程造价"),
        ("ECO-FIN", "财务会计"),
        ("ECO-PRC", "招标采购"),
    ]),
    ("GDS", "货物类", [
        ("GDS-ICT", "信息化设备"),
        ("GDS-MED", "医疗设备"),
        ("GDS-OFF", "办公设备"),
        ("GDS-VEH", "车辆"),
        ("GDS-EDU", "教学设备"),
    ]),
    ("SRV", "服务类", [
        ("SRV-PRP", "物业管理"),
        ("SRV-LAW", "法律"),
        ("SRV-CNS", "咨询"),
        ("SRV-AUD", "审计"),
        ("SRV-DSN", "设计"),
    ]),
]


def ensure_specialties(specialty_model):
    """Create or rename the taxonomy; idempotent (used by the data migration, the demo and tests)."""
    for code, name, children in TAXONOMY:
        category, _ = specialty_model.objects.update_or_create(code=code, defaults={"name": name, "parent": None})
        for child_code, child_name in children:
            specialty_model.objects.update_or_create(
                code=child_code, defaults={"name": child_name, "parent": category})
