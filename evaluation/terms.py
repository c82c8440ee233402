"""A tender's evaluation terms (the shape and its check: trading/evaluation_terms.py), as evaluation
applies them: the price rule's full check, registered with trading at start-up (trading may not import
evaluation), and `effective_terms`, frozen into the session when it opens.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from trading import evaluation_terms
from trading.evaluation_terms import (  # noqa: F401  (what evaluation reads from here)
    DEFAULT_OUTLIER_PCT,
    DEFAULT_PRICE_RULE,
    DEFAULT_QUALIFICATION,
    KEYS,
    check_terms,
    price_weight,
)

from . import scoring

# What the tender's author reads when a price rule is refused: {scoring error code: (message, key)}.
PRICE_RULE_ERRORS = {
    "unknown_benchmark_rule": (_("The benchmark price is either the lowest or the average price."), "benchmark"),
    "invalid_price_deduction": (_("The deductions per 1%% above and below the benchmark are points with at most "
                                  "2 decimals, zero or more, and not both zero."), "deduct_above_per_pct"),
    "invalid_price_floor": (_("The lowest price score is at least 0, with at most 2 decimals, and below the "
                              "price criterion's %(full)s points."), "floor"),
    "invalid_benchmark_coefficient": (_("K is between 0.90 and 1.00, with at most 3 decimals."), "k"),
    "invalid_benchmark_trim": (_("Leaving out the highest and lowest price needs at least 3 valid bids "
                                 "(leave it empty for never)."), "trim_min_bids"),
}


def check_price_rule_term(rule, full_points):
    """The canonical price rule, or DomainError with the scoring error's code (docs/price-scoring.md).
    Decimals are written plain ("10", not "1E+1"; "0", not "-0"): every value is zero or more."""
    try:
        canonical = scoring.check_price_rule(rule, full_points).as_json()
    except scoring.ScoringError as exc:
        message, key = PRICE_RULE_ERRORS.get(exc.code, (None, None))
        if message is None:  # invalid_price_rule: the shape (not an object, a key unknown, missing or misplaced)
            message = _("The price rule is not valid: %(detail)s") % {"detail": exc}
        else:
            message = message % {"full": full_points}
        term = f"price_rule.{key}" if key else "price_rule"
        raise DomainError(exc.code, message, field="evaluation_terms", term=term) from None
    return {key: format(abs(Decimal(value)), "f") if isinstance(value, str) and key != "benchmark" else value
            for key, value in canonical.items()}


evaluation_terms.check_price_rule_with(check_price_rule_term)


def effective_terms(tender) -> dict:
    """Every term with its default filled in, as the session freezes them."""
    terms = dict(tender.evaluation_terms or {})
    price_rule = None
    if tender.evaluation_method == "comprehensive":
        price_rule = terms.get("price_rule") or scoring.check_price_rule(
            DEFAULT_PRICE_RULE, price_weight(tender.criteria) or 1).as_json()
    return {
        "method": tender.evaluation_method,
        "criteria": list(tender.criteria or []),
        "qualification_criteria": terms.get("qualification_criteria") or list(DEFAULT_QUALIFICATION),
        "price_rule": price_rule,
        "trim_extremes": bool(terms.get("trim_extremes", False)),
        "outlier_pct": terms.get("outlier_pct", DEFAULT_OUTLIER_PCT),
        "anonymous_technical": bool(terms.get("anonymous_technical", False)),
    }
