"""The bid letter as the tender's bid form shows it: labels, and money in yuan (¥11,800,000.00).

A sealed bid letter holds raw values (money in integer fen); a person checking their own bid wants to
see what they typed into the form. Used by `tools/bidder.py check`; static/js/bid.js does the same.
No Django here: the bidder CLI needs only pycryptodome.
"""

# The platform's standard bid form (trading/rules.py STANDARD_BID_LETTER_FIELDS; a test keeps them equal):
# the fields a tender asks for unless it defines its own.
STANDARD_FIELDS = [
    {"key": "price", "label": "投标报价(元)", "type": "money", "required": True},
    {"key": "duration_days", "label": "工期(日历天)", "type": "integer", "required": True},
    {"key": "quality", "label": "质量标准", "type": "text", "required": True},
    {"key": "validity_days", "label": "投标有效期(日)", "type": "integer", "required": True},
    {"key": "project_manager", "label": "项目负责人", "type": "text", "required": False},
]


def yuan(fen: int) -> str:
    """Integer fen as the form shows money: ¥11,800,000.00."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"


def letter_lines(letter: dict, fields: list[dict]) -> list[tuple[str, str]]:
    """(label, shown value) for each field of the form in its order, then any other member by its key."""
    lines = []
    for field in fields:
        if field["key"] not in letter:
            continue
        value = letter[field["key"]]
        money = field.get("type") == "money" and type(value) is int
        lines.append((field["label"], yuan(value) if money else _plain(value)))
    known = {field["key"] for field in fields}
    lines += [(key, _plain(value)) for key, value in sorted(letter.items()) if key not in known]
    return lines


def _plain(value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
