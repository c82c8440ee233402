"""Price scores and rankings as pure functions: anyone can recompute them from the bid prices and the
experts' totals. Specified in docs/price-scoring.md; nothing here touches the database.

Money is integer fen. Points are `Decimal`; every score, deviation and mean is rounded to 2 decimal
places, half up (`ROUND_HALF_UP`, as the evaluation report prints them). No floats anywhere: a JSON
config gives decimals as strings ("0.95") or integers, never as JSON fractions, which the trading
log's canonical JSON refuses too.

实施条例 art. 49: the committee scores only by the method and standards the tender documents state, so
the price rule is part of the tender (`check_price_rule` refuses a rule it could not apply).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

CENT = Decimal("0.01")
MAX_CANDIDATES = 3  # 实施条例 art. 53: at most 3 ranked candidates
TRIM_MIN_EXPERTS = 7  # with 7 or more members, dropping the highest and lowest still leaves 5 (招标投标法 art. 37)
K_MIN, K_MAX = Decimal("0.90"), Decimal("1.00")
BENCHMARKS = ("lowest", "average")


class ScoringError(ValueError):
    """Bad input to a scoring function. `code` is stable (API, websocket); the message is for logs."""

    code = "scoring_error"


class InvalidPriceRule(ScoringError):
    code = "invalid_price_rule"  # not a dict, unknown or missing key, a number in the wrong form


class UnknownBenchmark(ScoringError):
    code = "unknown_benchmark_rule"


class InvalidDeduction(ScoringError):
    code = "invalid_price_deduction"


class InvalidFloor(ScoringError):
    code = "invalid_price_floor"


class InvalidCoefficient(ScoringError):
    code = "invalid_benchmark_coefficient"


class InvalidTrim(ScoringError):
    code = "invalid_benchmark_trim"


class InvalidAmount(ScoringError):
    code = "invalid_amount"  # a price, benchmark or evaluated price that is not a positive integer of fen


class InvalidPoints(ScoringError):
    code = "invalid_points"


class NoValidBids(ScoringError):
    code = "no_valid_bids"


class InvalidExpertTotals(ScoringError):
    code = "invalid_expert_totals"


def _decimal(value, places, error, name):
    """An int, a Decimal or a decimal string with at most `places` decimal places, as a Decimal."""
    if isinstance(value, bool) or isinstance(value, float):
        raise error(f"{name}: give an integer or a decimal string, not {value!r}")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str) and value.strip() == value and value:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise error(f"{name}: {value!r} is not a decimal number") from None
    else:
        raise error(f"{name}: give an integer or a decimal string, not {value!r}")
    if not number.is_finite() or abs(number) >= 10**6 or number != number.quantize(Decimal(1).scaleb(-places)):
        raise error(f"{name}: {value!r} is not a finite number with at most {places} decimal places")
    return number


def _fen(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidAmount(f"{name} must be a positive integer of fen, not {value!r}")
    return value


def _points(value, name, *, positive=False):
    number = _decimal(value, 2, InvalidPoints, name)
    if number < 0 or (positive and number == 0):
        raise InvalidPoints(f"{name} must be {'positive' if positive else 'zero or more'}, not {value!r}")
    return number


def _round(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- The price rule of a tender -------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceRule:
    benchmark: str  # "lowest" or "average"
    full_points: Decimal  # the price criterion's weight
    deduct_above_per_pct: Decimal
    deduct_below_per_pct: Decimal = Decimal(0)
    floor: Decimal = Decimal(0)
    k: Decimal = Decimal(1)  # average only: benchmark = mean × K
    trim_min_bids: int | None = None  # average only: drop the highest and lowest price with this many bids

    def as_json(self):
        """The canonical config (decimals as strings), as `check_price_rule` reads it back."""
        doc = {
            "benchmark": self.benchmark,
            "deduct_above_per_pct": str(self.deduct_above_per_pct),
            "deduct_below_per_pct": str(self.deduct_below_per_pct),
            "floor": str(self.floor),
        }
        if self.benchmark == "average":
            doc["k"] = str(self.k)
            doc["trim_min_bids"] = self.trim_min_bids
        return doc


_KEYS = {"benchmark", "deduct_above_per_pct", "deduct_below_per_pct", "floor", "k", "trim_min_bids"}
_AVERAGE_ONLY = {"k", "trim_min_bids"}


def check_price_rule(config, full_points) -> PriceRule:
    """Validate a tender's price-rule config (docs/price-scoring.md, "The config") against the price
    criterion's weight `full_points`; raise a ScoringError subclass whose `code` says what is wrong."""
    full = _points(full_points, "full_points", positive=True)
    if not isinstance(config, dict):
        raise InvalidPriceRule("the price rule must be an object")
    unknown = set(config) - _KEYS
    if unknown:
        raise InvalidPriceRule(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    benchmark = config.get("benchmark")
    if benchmark not in BENCHMARKS:
        raise UnknownBenchmark(f"benchmark must be one of {', '.join(BENCHMARKS)}, not {benchmark!r}")
    if benchmark == "lowest" and _AVERAGE_ONLY & set(config):
        # K and trimming shape an average; on the lowest price they would silently change nothing or
        # everything, so the tender must not state them (实施条例 art. 49: only stated rules apply).
        raise InvalidPriceRule("k and trim_min_bids apply to the average benchmark only")
    if "deduct_above_per_pct" not in config:
        raise InvalidPriceRule("deduct_above_per_pct is required")
    above = _decimal(config["deduct_above_per_pct"], 2, InvalidDeduction, "deduct_above_per_pct")
    below = _decimal(config.get("deduct_below_per_pct", 0), 2, InvalidDeduction, "deduct_below_per_pct")
    if above < 0 or below < 0:
        raise InvalidDeduction("deductions per percent must be zero or more")
    if above == 0 and below == 0:
        raise InvalidDeduction("a price rule that deducts nothing gives every bid full points")
    floor = _decimal(config.get("floor", 0), 2, InvalidFloor, "floor")
    if not 0 <= floor < full:
        raise InvalidFloor(f"floor must be at least 0 and below the full points {full}")
    k = _decimal(config.get("k", 1), 3, InvalidCoefficient, "k")
    if not K_MIN <= k <= K_MAX:
        raise InvalidCoefficient(f"k must be between {K_MIN} and {K_MAX}")
    trim = config.get("trim_min_bids")
    if trim is not None and (isinstance(trim, bool) or not isinstance(trim, int) or trim < 3):
        # Fewer than 3 bids would leave nothing to average once two are dropped.
        raise InvalidTrim("trim_min_bids must be null or an integer of at least 3")
    return PriceRule(benchmark, full, above, below, floor, k, trim)


# --- Benchmark and price score ----------------------------------------------------------------------------


def benchmark_price(rule: PriceRule, prices) -> int:
    """The benchmark price in fen from the prices (fen) of the valid bids: the lowest, or the mean
    (with the highest and lowest dropped once each when there are at least `trim_min_bids`) times K,
    rounded half up to a whole fen."""
    prices = [_fen(p, "price") for p in prices]
    if not prices:
        raise NoValidBids("no valid bid to take a benchmark from")
    if rule.benchmark == "lowest":
        return min(prices)
    if rule.trim_min_bids is not None and len(prices) >= rule.trim_min_bids:
        prices = sorted(prices)[1:-1]
    with localcontext() as ctx:
        ctx.prec = 50  # exact for any sum of fen we will meet; the only rounding is the one below
        mean_times_k = Decimal(sum(prices)) * rule.k / len(prices)
        return int(mean_times_k.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def deviation_pct(price: int, benchmark: int) -> Decimal:
    """|price − benchmark| / benchmark × 100, rounded half up to 2 decimal places (always ≥ 0)."""
    price, benchmark = _fen(price, "price"), _fen(benchmark, "benchmark")
    with localcontext() as ctx:
        ctx.prec = 50
        return _round(Decimal(abs(price - benchmark) * 100) / benchmark)


def price_score(price, benchmark, full_points, deduct_above_per_pct, deduct_below_per_pct, floor=0) -> Decimal:
    """full_points − deviation × the deduction per percent of its side (above or below the benchmark),
    linear between whole percents, never below `floor`; 2 decimal places, half up."""
    full = _points(full_points, "full_points", positive=True)
    above = _points(deduct_above_per_pct, "deduct_above_per_pct")
    below = _points(deduct_below_per_pct, "deduct_below_per_pct")
    floor = _points(floor, "floor")
    if floor >= full:
        raise InvalidFloor("floor must be below the full points")
    pct = deviation_pct(price, benchmark)
    rate = above if price > benchmark else below
    return _round(max(full - pct * rate, floor))


def price_scores(rule: PriceRule, prices) -> dict:
    """{bid key: price score} for the valid bids `prices` ({bid key: price in fen})."""
    benchmark = benchmark_price(rule, prices.values())
    return {
        key: price_score(price, benchmark, rule.full_points, rule.deduct_above_per_pct,
                         rule.deduct_below_per_pct, rule.floor)
        for key, price in prices.items()
    }


# --- Rankings ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredBid:
    """A bid under 综合评估法: `totals` is {expert: that expert's total points for this bid}."""

    key: object
    price_fen: int
    order: int  # submission order, the last tie-break
    totals: dict
    qualified: bool = True


@dataclass(frozen=True)
class PricedBid:
    """A bid under 经评审的最低投标价法: evaluated price = price + adjustments (fen, either sign)."""

    key: object
    price_fen: int
    order: int
    adjustment_fen: int = 0
    qualified: bool = True


@dataclass(frozen=True)
class RankedBid:
    rank: int
    key: object
    price_fen: int
    score: Decimal | None = None  # comprehensive method
    evaluated_price_fen: int | None = None  # lowest evaluated price method


@dataclass(frozen=True)
class Ranking:
    order: tuple  # every qualified bid, best first, ranks 1..n
    trimmed: bool = False  # the experts' highest and lowest totals were dropped

    @property
    def candidates(self):
        """The ranked candidates the report names (实施条例 art. 53: at most 3)."""
        return self.order[:MAX_CANDIDATES]


def final_score(totals, *, trim_extremes=False) -> Decimal:
    """The mean of the experts' totals, 2 decimal places half up; with `trim_extremes` and at least 7
    totals, one highest and one lowest are dropped first."""
    values = [_points(t, "expert total") for t in totals]
    if not values:
        raise InvalidExpertTotals("a bid needs at least one expert's total")
    if trim_extremes and len(values) >= TRIM_MIN_EXPERTS:
        values = sorted(values)[1:-1]
    with localcontext() as ctx:
        ctx.prec = 50
        return _round(sum(values, Decimal(0)) / len(values))


def rank_comprehensive(bids, *, trim_extremes=False) -> Ranking:
    """综合评估法: rank the qualified bids by final score, highest first; equal (rounded) scores by the
    lower price, then by submission order. Bids that failed qualification are not ranked."""
    bids = [b for b in bids if b.qualified]
    if not bids:
        raise NoValidBids("no qualified bid to rank")
    experts = set(bids[0].totals)
    if any(set(b.totals) != experts for b in bids):
        raise InvalidExpertTotals("every qualified bid needs a total from the same experts")
    trimmed = trim_extremes and len(experts) >= TRIM_MIN_EXPERTS
    scored = [(final_score(b.totals.values(), trim_extremes=trim_extremes), _fen(b.price_fen, "price"), b)
              for b in bids]
    scored.sort(key=lambda s: (-s[0], s[1], s[2].order))
    order = tuple(RankedBid(i, b.key, price, score=score) for i, (score, price, b) in enumerate(scored, 1))
    return Ranking(order, trimmed)


def rank_lowest_evaluated_price(bids) -> Ranking:
    """经评审的最低投标价法 (招标投标法 art. 41 (2)): rank the qualified bids by evaluated price,
    lowest first; equal evaluated prices by the lower original price, then by submission order."""
    bids = [b for b in bids if b.qualified]
    if not bids:
        raise NoValidBids("no qualified bid to rank")
    priced = []
    for b in bids:
        if isinstance(b.adjustment_fen, bool) or not isinstance(b.adjustment_fen, int):
            raise InvalidAmount(f"adjustment_fen must be an integer of fen, not {b.adjustment_fen!r}")
        price = _fen(b.price_fen, "price")
        priced.append((_fen(price + b.adjustment_fen, "evaluated price"), price, b))
    priced.sort(key=lambda p: (p[0], p[1], p[2].order))
    return Ranking(tuple(RankedBid(i, b.key, price, evaluated_price_fen=evaluated)
                         for i, (evaluated, price, b) in enumerate(priced, 1)))
