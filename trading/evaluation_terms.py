"""A tender's evaluation terms: how its committee applies the evaluation method (实施条例 art. 49: only
by the standards the tender documents state). Stored on `Tender.evaluation_terms`, checked here when the
tender is written (`check_terms`, from the tender actions), frozen into the session when it opens
(evaluation.terms.effective_terms).

    {
      "qualification_criteria": ["营业执照及资质证书", ...],   # 1–20 names, each ≤ 60 characters
      "price_rule": {...} | null,     # docs/price-scoring.md; 综合评估法 only; null: the default rule
      "trim_extremes": false,         # drop each bid's highest and lowest total with ≥ 7 experts
      "outlier_pct": 20,              # flag a score deviating from the committee mean by more (1–100)
      "anonymous_technical": false    # 暗标: bidders appear as codes until the sheets lock
    }

Layers: trading may not import evaluation (README, "Architecture"), yet the price rule's arithmetic is
evaluation's (evaluation/scoring.py). So this module checks the shape of every term, and the price rule's
numbers are checked by the function evaluation registers at start-up (`check_price_rule_with`, from
evaluation/terms.py, imported by EvaluationConfig.ready), as records lets trading name the bid receipts a
supervisor may read. The session checks the rule once more when it opens.
"""

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError

DEFAULT_QUALIFICATION = ["营业执照及资质证书", "项目负责人资格", "投标保证金", "投标函签字盖章"]
# The canonical form (evaluation.scoring.PriceRule.as_json) of the rule that applies when none is given.
DEFAULT_PRICE_RULE = {"benchmark": "lowest", "deduct_above_per_pct": "1", "deduct_below_per_pct": "0", "floor": "0"}
DEFAULT_OUTLIER_PCT = 20
KEYS = {"qualification_criteria", "price_rule", "trim_extremes", "outlier_pct", "anonymous_technical"}
PRICE_RULE_KEYS = {"benchmark", "deduct_above_per_pct", "deduct_below_per_pct", "floor", "k", "trim_min_bids"}
BENCHMARKS = ("lowest", "average")
MAX_QUALIFICATION = 20
MAX_NAME = 60

_price_rule_check = None


def check_price_rule_with(fn):
    """Evaluation registers the price rule's full check: `fn(rule, full_points)` returns the rule's
    canonical form or raises DomainError (field `evaluation_terms`, `term` naming the key)."""
    global _price_rule_check  # noqa: PLW0603 - registered once, at start-up (EvaluationConfig.ready)
    _price_rule_check = fn


def error(message, term=None):
    extra = {"term": term} if term else {}
    return DomainError("invalid_evaluation_terms", message, field="evaluation_terms", **extra)


def price_weight(criteria):
    return next((c["weight"] for c in criteria or [] if isinstance(c, dict) and c.get("kind") == "price"), None)


def _check_price_rule_shape(rule):
    """Without evaluation's check (never in this platform's settings): the keys and the benchmark."""
    if not isinstance(rule, dict) or set(rule) - PRICE_RULE_KEYS or rule.get("benchmark") not in BENCHMARKS:
        raise error(_("The price rule is not valid."), "price_rule")
    return dict(rule)


def check_terms(terms, method, criteria) -> dict:
    """The clean terms (only the keys given; a null price rule is left out: the default applies), or
    DomainError `invalid_evaluation_terms` / the price rule's own code (docs/price-scoring.md).
    `criteria` are the tender's checked criteria (the price criterion's weight bounds the floor)."""
    if terms in (None, ""):
        return {}
    if not isinstance(terms, dict):
        raise error(_("The evaluation terms must be an object."))
    unknown = set(terms) - KEYS
    if unknown:
        raise error(_("Unknown evaluation terms: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))})
    clean = {}
    if "qualification_criteria" in terms:
        items = terms["qualification_criteria"]
        if (not isinstance(items, list) or not 1 <= len(items) <= MAX_QUALIFICATION
                or not all(isinstance(i, str) and 0 < len(i.strip()) <= MAX_NAME for i in items)):
            raise error(_("Give 1 to 20 qualification criteria, each a name of at most 60 characters."),
                        "qualification_criteria")
        names = [i.strip() for i in items]
        if len(set(names)) != len(names):
            raise error(_("Each qualification criterion may be given only once."), "qualification_criteria")
        clean["qualification_criteria"] = names
    if terms.get("price_rule") is not None:
        if method != "comprehensive":
            raise error(_("A price rule applies to the comprehensive method only."), "price_rule")
        if _price_rule_check is None:
            clean["price_rule"] = _check_price_rule_shape(terms["price_rule"])
        else:
            clean["price_rule"] = _price_rule_check(terms["price_rule"], price_weight(criteria) or 1)
    for key in ("trim_extremes", "anonymous_technical"):
        if key in terms:
            if not isinstance(terms[key], bool):
                raise error(_("%(key)s must be true or false.") % {"key": key}, key)
            clean[key] = terms[key]
    if "outlier_pct" in terms:
        value = terms["outlier_pct"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise error(_("The outlier threshold is a whole percentage from 1 to 100."), "outlier_pct")
        clean["outlier_pct"] = value
    return clean


def with_defaults(terms, method) -> dict:
    """Every term, the defaults filled in: what the committee will apply (the API and the tender page)."""
    terms = terms or {}
    price_rule = None
    if method == "comprehensive":
        price_rule = terms.get("price_rule") or dict(DEFAULT_PRICE_RULE)
    return {
        "qualification_criteria": list(terms.get("qualification_criteria") or DEFAULT_QUALIFICATION),
        "price_rule": price_rule,
        "trim_extremes": bool(terms.get("trim_extremes", False)),
        "outlier_pct": terms.get("outlier_pct", DEFAULT_OUTLIER_PCT),
        "anonymous_technical": bool(terms.get("anonymous_technical", False)),
    }


def describe(tender) -> dict:
    """The terms in words, for the tender's page (every reader: 实施条例 art. 49 binds the committee to
    what the tender documents state)."""
    from django.utils.translation import gettext

    terms = with_defaults(tender.evaluation_terms, tender.evaluation_method)
    words = {"qualification": terms["qualification_criteria"], "price": [],
             "outlier": gettext("A score deviating from the committee's mean by more than %(pct)s%% is flagged "
                                "for the committee's review.") % {"pct": terms["outlier_pct"]},
             "anonymous": terms["anonymous_technical"]}
    rule = terms["price_rule"]
    if rule is None:
        words["ranking"] = gettext("Bids that pass the qualification review are ranked by evaluated price, the "
                                   "lowest first (Bidding Law, art. 41).")
        return words
    if terms["trim_extremes"]:
        words["ranking"] = gettext("A bid's score is the mean of the experts' totals; with 7 or more experts its "
                                   "highest and lowest total are left out.")
    else:
        words["ranking"] = gettext("A bid's score is the mean of every expert's total.")
    price = words["price"]
    if rule["benchmark"] == "average":
        price.append(gettext("Benchmark price: the mean price of the valid bids times K = %(k)s.")
                     % {"k": rule.get("k", "1")})
        if rule.get("trim_min_bids"):
            price.append(gettext("With at least %(n)s valid bids, the highest and the lowest price are left "
                                 "out of the mean.") % {"n": rule["trim_min_bids"]})
    else:
        price.append(gettext("Benchmark price: the lowest price of the valid bids."))
    full = price_weight(tender.criteria) or 0
    price.append(gettext("A price at the benchmark scores the full %(full)s points; each 1%% above it deducts "
                         "%(points)s points, in proportion.") % {"full": full, "points": rule["deduct_above_per_pct"]})
    if rule["benchmark"] == "average":
        price.append(gettext("Each 1%% below the benchmark deducts %(points)s points, in proportion.")
                     % {"points": rule.get("deduct_below_per_pct", "0")})
    price.append(gettext("No price scores less than %(floor)s points.") % {"floor": rule.get("floor", "0")})
    return words
