"""The price formulas and rankings of docs/price-scoring.md on worked examples. Every expected number
is computed by hand in the comment above it (fen, Decimal, half up), never by the code under test."""

from decimal import Decimal

import pytest

from evaluation.scoring import (
    InvalidAmount,
    InvalidCoefficient,
    InvalidDeduction,
    InvalidExpertTotals,
    InvalidFloor,
    InvalidPoints,
    InvalidPriceRule,
    InvalidTrim,
    NoValidBids,
    PricedBid,
    PriceRule,
    ScoredBid,
    UnknownBenchmark,
    benchmark_price,
    check_price_rule,
    deviation_pct,
    final_score,
    price_score,
    price_scores,
    rank_comprehensive,
    rank_lowest_evaluated_price,
)

D = Decimal

AVERAGE_K095 = {
    "benchmark": "average",
    "deduct_above_per_pct": "1",
    "deduct_below_per_pct": "0.5",
    "k": "0.95",
    "trim_min_bids": 5,
}
FIVE_BIDS = {"A": 9_500_000, "B": 9_800_000, "C": 10_000_000, "D": 10_300_000, "E": 11_000_000}


# --- average benchmark -------------------------------------------------------------------------------------


def test_the_average_benchmark_drops_the_highest_and_lowest_and_applies_k():
    rule = check_price_rule(AVERAGE_K095, 100)
    # 5 bids ≥ trim_min_bids 5: drop A 9,500,000 and E 11,000,000.
    # mean = (9,800,000 + 10,000,000 + 10,300,000) / 3 = 30,100,000 / 3 = 10,033,333.33…
    # × 0.95 = 28,595,000 / 3 = 9,531,666.66… → 9,531,667 fen (half up)
    assert benchmark_price(rule, FIVE_BIDS.values()) == 9_531_667


def test_the_average_benchmark_deducts_by_side_of_the_benchmark():
    rule = check_price_rule(AVERAGE_K095, 100)
    # benchmark 9,531,667; deviation = |p − b| × 100 / b, 2 places half up:
    # A 31,667 × 100 / 9,531,667 = 0.3322… → 0.33 below → 100 − 0.33 × 0.5 = 99.835 → 99.84 (half up)
    # B 268,333 × 100 / 9,531,667 = 2.8151… → 2.82 above → 100 − 2.82 = 97.18
    # C 468,333 × 100 / 9,531,667 = 4.9134… → 4.91 above → 95.09
    # D 768,333 × 100 / 9,531,667 = 8.0608… → 8.06 above → 91.94
    # E 1,468,333 × 100 / 9,531,667 = 15.4047… → 15.40 above → 84.60 (still scored though dropped from the mean)
    assert price_scores(rule, FIVE_BIDS) == {
        "A": D("99.84"), "B": D("97.18"), "C": D("95.09"), "D": D("91.94"), "E": D("84.60"),
    }
    assert [deviation_pct(p, 9_531_667) for p in FIVE_BIDS.values()] == [
        D("0.33"), D("2.82"), D("4.91"), D("8.06"), D("15.40"),
    ]


def test_below_trim_min_bids_every_price_counts_in_the_average():
    rule = check_price_rule(AVERAGE_K095, 100)
    # 4 bids < 5: no trimming. (9,500,000 + 9,800,000 + 10,000,000 + 10,300,000) / 4 = 9,900,000
    # × 0.95 = 9,405,000
    assert benchmark_price(rule, [9_500_000, 9_800_000, 10_000_000, 10_300_000]) == 9_405_000


def test_trimming_drops_only_one_of_several_equal_extremes():
    rule = check_price_rule({**AVERAGE_K095, "k": "1"}, 100)
    # sorted 100, 100, 200, 400, 400 → drop one 100 and one 400 → (100 + 200 + 400) / 3 = 233.33… → 233
    assert benchmark_price(rule, [100, 400, 200, 100, 400]) == 233


def test_without_k_and_trim_the_average_is_the_plain_mean_rounded_half_up():
    rule = check_price_rule({"benchmark": "average", "deduct_above_per_pct": "1"}, 100)
    # (101 + 102) / 2 = 101.5 → 102 fen (half up, not half even)
    assert benchmark_price(rule, [101, 102]) == 102
    assert rule == PriceRule("average", D(100), D(1), D(0), D(0), D(1), None)


def test_a_single_valid_bid_is_its_own_average():
    rule = check_price_rule({"benchmark": "average", "deduct_above_per_pct": "1", "trim_min_bids": 3}, 100)
    assert price_scores(rule, {"A": 8_888_888}) == {"A": D("100.00")}


def test_with_k_below_one_even_a_single_bid_lies_above_its_benchmark():
    rule = check_price_rule(AVERAGE_K095, 100)
    # benchmark = 10,000,000 × 0.95 = 9,500,000; 500,000 × 100 / 9,500,000 = 5.2631… → 5.26 → 94.74
    assert price_scores(rule, {"A": 10_000_000}) == {"A": D("94.74")}


def test_equal_bids_all_get_full_points():
    rule = check_price_rule({**AVERAGE_K095, "k": "1.00"}, 60)
    assert price_scores(rule, {"A": 5_000_000, "B": 5_000_000, "C": 5_000_000}) == {
        "A": D("60.00"), "B": D("60.00"), "C": D("60.00"),
    }


# --- lowest benchmark --------------------------------------------------------------------------------------


def test_the_lowest_benchmark_gives_the_lowest_bid_full_points():
    rule = check_price_rule({"benchmark": "lowest", "deduct_above_per_pct": "0.5"}, 40)
    prices = {"A": 9_500_000, "B": 9_800_000, "C": 12_000_000, "D": 19_000_000}
    # benchmark = 9,500,000 (A) → A 40.00
    # B 300,000 × 100 / 9,500,000 = 3.1578… → 3.16 × 0.5 = 1.58 → 38.42
    # C 2,500,000 × 100 / 9,500,000 = 26.3157… → 26.32 × 0.5 = 13.16 → 26.84
    # D 9,500,000 × 100 / 9,500,000 = 100.00 × 0.5 = 50 > 40 → floor 0 → 0.00
    assert benchmark_price(rule, prices.values()) == 9_500_000
    assert price_scores(rule, prices) == {"A": D("40.00"), "B": D("38.42"), "C": D("26.84"), "D": D("0.00")}


def test_the_floor_holds_a_far_bid_up():
    rule = check_price_rule({"benchmark": "lowest", "deduct_above_per_pct": "0.5", "floor": "10"}, 40)
    # D as above: 40 − 50 = −10 → floor 10.00
    assert price_scores(rule, {"A": 9_500_000, "D": 19_000_000}) == {"A": D("40.00"), "D": D("10.00")}


# --- price_score itself ------------------------------------------------------------------------------------


def test_a_price_equal_to_the_benchmark_gets_full_points():
    assert price_score(7_654_321, 7_654_321, 30, "2", "1") == D("30.00")


def test_the_deviation_rounds_half_up_before_the_deduction():
    # 500 × 100 / 10,000,000 = 0.005 exactly → 0.01 (half even would give 0.00) → 100 − 0.01 × 1 = 99.99
    assert deviation_pct(10_000_500, 10_000_000) == D("0.01")
    assert price_score(10_000_500, 10_000_000, 100, 1, 1) == D("99.99")
    # the same distance below: 0.01 × 0.5 = 0.005 → 99.995 → 100.00 (half up on the score)
    assert price_score(9_999_500, 10_000_000, 100, 1, "0.5") == D("100.00")


def test_the_deduction_is_linear_between_whole_percents():
    # 1,250,000 × 100 / 10,000,000 = 12.5 % above; 12.50 × 0.8 = 10.00 → 50 − 10 = 40.00
    assert price_score(11_250_000, 10_000_000, 50, "0.8", "0.4") == D("40.00")
    # 12.5 % below: 12.50 × 0.4 = 5.00 → 45.00
    assert price_score(8_750_000, 10_000_000, 50, "0.8", "0.4") == D("45.00")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((0, 100, 100, 1, 1), InvalidAmount),
        ((-5, 100, 100, 1, 1), InvalidAmount),
        ((100, 0, 100, 1, 1), InvalidAmount),
        ((100, -100, 100, 1, 1), InvalidAmount),
        ((100.0, 100, 100, 1, 1), InvalidAmount),
        ((True, 100, 100, 1, 1), InvalidAmount),
        ((100, 100, 0, 1, 1), InvalidPoints),
        ((100, 100, -1, 1, 1), InvalidPoints),
        ((100, 100, 100, -1, 1), InvalidPoints),
        ((100, 100, 100, 1, "-0.5"), InvalidPoints),
        ((100, 100, 100, 0.5, 1), InvalidPoints),
        ((100, 100, 100, "0.005", 1), InvalidPoints),
        ((100, 100, 100, 1, 1, 100), InvalidFloor),
        ((100, 100, 100, 1, 1, -1), InvalidPoints),
    ],
)
def test_price_score_refuses_zero_negative_and_non_decimal_inputs(args, error):
    with pytest.raises(error) as caught:
        price_score(*args)
    assert caught.value.code == error.code
    assert isinstance(caught.value, ValueError)


def test_benchmark_refuses_no_bids_and_non_positive_prices():
    rule = check_price_rule({"benchmark": "lowest", "deduct_above_per_pct": "1"}, 100)
    with pytest.raises(NoValidBids) as caught:
        benchmark_price(rule, [])
    assert caught.value.code == "no_valid_bids"
    with pytest.raises(InvalidAmount) as caught:
        benchmark_price(rule, [100, 0])
    assert caught.value.code == "invalid_amount"


# --- the config --------------------------------------------------------------------------------------------


def test_a_valid_config_round_trips_through_its_canonical_json():
    rule = check_price_rule(AVERAGE_K095, 40)
    assert rule.as_json() == {
        "benchmark": "average", "deduct_above_per_pct": "1", "deduct_below_per_pct": "0.5",
        "floor": "0", "k": "0.95", "trim_min_bids": 5,
    }
    assert check_price_rule(rule.as_json(), 40) == rule
    lowest = check_price_rule({"benchmark": "lowest", "deduct_above_per_pct": 2, "floor": "5.5"}, 30)
    assert lowest.as_json() == {
        "benchmark": "lowest", "deduct_above_per_pct": "2", "deduct_below_per_pct": "0", "floor": "5.5",
    }


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ([], "invalid_price_rule"),
        ({**AVERAGE_K095, "bonus": 1}, "invalid_price_rule"),
        ({"benchmark": "average"}, "invalid_price_rule"),
        ({"benchmark": "lowest", "deduct_above_per_pct": "1", "k": "0.95"}, "invalid_price_rule"),
        ({"benchmark": "lowest", "deduct_above_per_pct": "1", "trim_min_bids": 5}, "invalid_price_rule"),
        ({"deduct_above_per_pct": "1"}, "unknown_benchmark_rule"),
        ({"benchmark": "median", "deduct_above_per_pct": "1"}, "unknown_benchmark_rule"),
        ({**AVERAGE_K095, "deduct_above_per_pct": 0.5}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "deduct_above_per_pct": "abc"}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "deduct_above_per_pct": "NaN"}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "deduct_above_per_pct": " 1"}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "deduct_below_per_pct": "-0.5"}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "deduct_above_per_pct": "1.005"}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "deduct_above_per_pct": "0", "deduct_below_per_pct": "0"}, "invalid_price_deduction"),
        ({**AVERAGE_K095, "floor": "-1"}, "invalid_price_floor"),
        ({**AVERAGE_K095, "floor": "40"}, "invalid_price_floor"),
        ({**AVERAGE_K095, "k": "0.89"}, "invalid_benchmark_coefficient"),
        ({**AVERAGE_K095, "k": "1.01"}, "invalid_benchmark_coefficient"),
        ({**AVERAGE_K095, "k": "0.9555"}, "invalid_benchmark_coefficient"),
        ({**AVERAGE_K095, "k": 0.95}, "invalid_benchmark_coefficient"),
        ({**AVERAGE_K095, "trim_min_bids": 2}, "invalid_benchmark_trim"),
        ({**AVERAGE_K095, "trim_min_bids": "5"}, "invalid_benchmark_trim"),
        ({**AVERAGE_K095, "trim_min_bids": True}, "invalid_benchmark_trim"),
    ],
)
def test_check_price_rule_refuses_a_bad_config_with_a_stable_code(config, code):
    with pytest.raises(ValueError) as caught:
        check_price_rule(config, 40)
    assert caught.value.code == code


def test_check_price_rule_accepts_the_edges_of_k_and_trim():
    assert check_price_rule({**AVERAGE_K095, "k": "0.9", "trim_min_bids": 3}, 40).k == D("0.9")
    assert check_price_rule({**AVERAGE_K095, "k": 1, "trim_min_bids": None}, 40).trim_min_bids is None


def test_check_price_rule_refuses_non_positive_full_points():
    with pytest.raises(InvalidPoints):
        check_price_rule(AVERAGE_K095, 0)


def test_error_classes_carry_their_codes():
    assert [c.code for c in (InvalidPriceRule, UnknownBenchmark, InvalidDeduction, InvalidFloor,
                             InvalidCoefficient, InvalidTrim, InvalidAmount, InvalidPoints, NoValidBids,
                             InvalidExpertTotals)] == [
        "invalid_price_rule", "unknown_benchmark_rule", "invalid_price_deduction", "invalid_price_floor",
        "invalid_benchmark_coefficient", "invalid_benchmark_trim", "invalid_amount", "invalid_points",
        "no_valid_bids", "invalid_expert_totals",
    ]


# --- comprehensive ranking ---------------------------------------------------------------------------------

def totals(*values):
    return {f"e{i}": D(str(v)) for i, v in enumerate(values, 1)}


def test_seven_experts_drop_the_highest_and_lowest_when_the_tender_asks():
    bid = totals(80, 82, 85, 85, 86, 88, 95)
    # trimmed: drop 80 and 95 → (82 + 85 + 85 + 86 + 88) / 5 = 426 / 5 = 85.20
    assert final_score(bid.values(), trim_extremes=True) == D("85.20")
    # not asked: 601 / 7 = 85.857… → 85.86
    assert final_score(bid.values()) == D("85.86")


def test_six_experts_are_never_trimmed():
    # 6 < 7: (80 + 82 + 85 + 85 + 86 + 95) / 6 = 513 / 6 = 85.50
    ranking = rank_comprehensive([ScoredBid("A", 100, 1, totals(80, 82, 85, 85, 86, 95))], trim_extremes=True)
    assert ranking.order[0].score == D("85.50")
    assert ranking.trimmed is False


def test_the_mean_rounds_half_up():
    # (85.12 + 85.13) / 2 = 85.125 → 85.13
    assert final_score([D("85.12"), D("85.13")]) == D("85.13")


def test_comprehensive_ranking_breaks_ties_by_lower_price_caps_candidates_and_skips_failed_bids():
    bids = [
        # trimmed means (drop one highest and one lowest of 7):
        ScoredBid("A", 10_000_000, 1, totals(80, 82, 85, 85, 86, 88, 95)),  # 426 / 5 = 85.20
        ScoredBid("B", 9_900_000, 2, totals(70, 85, 85, 85, 85, 86, 99)),  # 426 / 5 = 85.20, cheaper than A
        ScoredBid("C", 9_000_000, 3, totals(90, 90, 90, 90, 90, 90, 90), qualified=False),  # 90.00, not ranked
        ScoredBid("D", 9_500_000, 4, totals(60, 70, 70, 70, 70, 70, 100)),  # 350 / 5 = 70.00
        ScoredBid("E", 9_800_000, 5, totals(88, 88, 88, 88, 88, 88, 88)),  # 88.00
    ]
    ranking = rank_comprehensive(bids, trim_extremes=True)
    assert [(r.rank, r.key, r.score, r.price_fen) for r in ranking.order] == [
        (1, "E", D("88.00"), 9_800_000),
        (2, "B", D("85.20"), 9_900_000),
        (3, "A", D("85.20"), 10_000_000),
        (4, "D", D("70.00"), 9_500_000),
    ]
    assert [r.key for r in ranking.candidates] == ["E", "B", "A"]
    assert ranking.trimmed is True


def test_ties_on_rounded_score_and_price_fall_to_submission_order():
    # X: (85.19 + 85.21) / 2 = 85.20; Y: (85.20 + 85.20) / 2 = 85.20; same price → order 1 before 2
    bids = [
        ScoredBid("Y", 5_000_000, 2, {"e1": D("85.20"), "e2": D("85.20")}),
        ScoredBid("X", 5_000_000, 1, {"e1": D("85.19"), "e2": D("85.21")}),
    ]
    assert [r.key for r in rank_comprehensive(bids).order] == ["X", "Y"]


def test_fewer_than_three_qualified_bids_make_fewer_candidates():
    bids = [ScoredBid("A", 100, 1, {"e1": 50}), ScoredBid("B", 100, 2, {"e1": 60}, qualified=False)]
    assert [(r.rank, r.key, r.score) for r in rank_comprehensive(bids).candidates] == [(1, "A", D("50.00"))]


def test_comprehensive_ranking_refuses_uneven_sheets_and_no_qualified_bid():
    with pytest.raises(InvalidExpertTotals) as caught:
        rank_comprehensive([ScoredBid("A", 100, 1, {"e1": 50, "e2": 60}), ScoredBid("B", 100, 2, {"e1": 50})])
    assert caught.value.code == "invalid_expert_totals"
    with pytest.raises(InvalidExpertTotals):
        rank_comprehensive([ScoredBid("A", 100, 1, {})])
    with pytest.raises(InvalidPoints):
        rank_comprehensive([ScoredBid("A", 100, 1, {"e1": -1})])
    with pytest.raises(NoValidBids):
        rank_comprehensive([ScoredBid("A", 100, 1, {"e1": 50}, qualified=False)])


# --- lowest evaluated price --------------------------------------------------------------------------------


def test_lowest_evaluated_price_ranks_by_evaluated_then_original_price_then_order():
    bids = [
        PricedBid("A", 10_000_000, 1, adjustment_fen=200_000),  # 10,200,000
        PricedBid("B", 10_100_000, 2),  # 10,100,000: lowest evaluated price
        PricedBid("C", 9_900_000, 3, adjustment_fen=300_000),  # 10,200,000, lower original price than A
        PricedBid("D", 9_000_000, 4, qualified=False),  # cheapest, but failed qualification
        PricedBid("E", 10_400_000, 5, adjustment_fen=-200_000),  # 10,200,000, highest original price
        PricedBid("F", 9_900_000, 6, adjustment_fen=300_000),  # same as C in every way but later
    ]
    ranking = rank_lowest_evaluated_price(bids)
    assert [(r.rank, r.key, r.evaluated_price_fen, r.price_fen) for r in ranking.order] == [
        (1, "B", 10_100_000, 10_100_000),
        (2, "C", 10_200_000, 9_900_000),
        (3, "F", 10_200_000, 9_900_000),
        (4, "A", 10_200_000, 10_000_000),
        (5, "E", 10_200_000, 10_400_000),
    ]
    assert [r.key for r in ranking.candidates] == ["B", "C", "F"]


def test_lowest_evaluated_price_refuses_bad_amounts():
    for bid in (PricedBid("A", 0, 1), PricedBid("A", 100, 1, adjustment_fen=-100),
                PricedBid("A", 100, 1, adjustment_fen=1.5)):
        with pytest.raises(InvalidAmount) as caught:
            rank_lowest_evaluated_price([bid])
        assert caught.value.code == "invalid_amount"
    with pytest.raises(NoValidBids):
        rank_lowest_evaluated_price([PricedBid("A", 100, 1, qualified=False)])
