"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V): the
registration authority (1st), the organization category (2nd), the administrative division code of
the registering authority (3rd–8th, six digits of GB/T 2260), the organization code (9th–17th) and a
check character (18th): weights 3^i mod 31, check = 31 - (sum mod 31), 31 → 0.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
# Registration authority (first character) codes in GB 32100-2015 Table 1.
AUTHORITIES = set("123456789ABCDEFGNY")


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    return (code or "").strip().upper()


def validate_credit_code(code: str) -> None:
    code = normalize(code)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length", params={"n": len(code)},
        )
    bad = [ch for ch in code if ch not in VALUES]
    if bad:
        raise ValidationError(
            _("The character “%(ch)s” cannot appear in a unified social credit code (GB 32100-2015)."),
            code="credit_code_charset", params={"ch": bad[0]},
        )
    if code[0] not in AUTHORITIES:
        raise ValidationError(
            _("“%(ch)s” is not a registration authority code (GB 32100-2015)."),
            code="credit_code_authority", params={"ch": code[0]},
        )
    division = code[2:8]
    if not division.isdigit():
        # GB 32100-2015: the 3rd–8th characters are a GB/T 2260 division code, digits only.
        raise ValidationError(
            _("The 3rd to 8th characters of a unified social credit code are the administrative division "
              "code and must be digits; “%(part)s” is not (GB 32100-2015)."),
            code="credit_code_division", params={"part": division},
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong: please check the code "
              "on the business licence (GB 32100-2015)."),
            code="credit_code_check",
        )


def make_code(prefix17: str) -> str:
    """Complete 17 characters with their check character (demo data and tests)."""
    return prefix17 + check_character(prefix17)
