"""Pure scoring: Wilson intervals against published values, CSAT/NPS/CES definitions
(REQ-MET-03/04/05), and "not enough answers" below the minimum sample."""

import pytest

from guichet.surveys import scoring


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Reference values: Wilson score interval at 95 % (z = 1.95996).
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
        (45, 100, 0.3561, 0.5476),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_interval_matches_reference_values(successes, n, low, high):
    # given a binomial count, when its interval is computed, then it matches to 4 decimals
    got_low, got_high = scoring.wilson_interval(successes, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_rejects_an_empty_sample():
    with pytest.raises(ValueError):
        scoring.wilson_interval(0, 0)


def test_proportion_below_minimum_sample_has_no_value_but_says_why():
    # given 29 answers and the default minimum of 30
    figure = scoring.proportion(20, 29)
    # then there is no number, only the sample size and the reason
    assert figure == {"value": None, "n": 29, "reason": "insufficient_sample", "min_sample": 30}


def test_proportion_at_minimum_sample_has_value_and_interval():
    figure = scoring.proportion(15, 30)
    assert figure["value"] == 0.5
    assert figure["n"] == 30
    assert figure["low"] < 0.5 < figure["high"]


def test_csat_is_the_share_of_4_and_5_not_the_mean():
    # given 10 answers: three 5, two 4, five 1
    figure = scoring.csat({5: 3, 4: 2, 1: 5}, min_sample=10)
    # then CSAT is 50 % and the mean (2.8) is reported separately
    assert figure["value"] == 0.5
    assert figure["mean"] == pytest.approx(2.8)


def test_nps_is_an_integer_percentage_point_difference():
    # given 30 % promoters, 50 % passives, 20 % detractors (the worked example: NPS +10)
    figure = scoring.nps({10: 20, 9: 10, 8: 30, 7: 20, 6: 10, 0: 10}, min_sample=100)
    assert figure["value"] == 10
    assert isinstance(figure["value"], int)
    assert (figure["promoters"], figure["passives"], figure["detractors"]) == (30, 50, 20)
    assert -100 <= figure["low"] < 10 < figure["high"] <= 100


def test_nps_of_only_detractors_is_minus_100():
    figure = scoring.nps({3: 40}, min_sample=30)
    assert figure["value"] == -100
    assert figure["low"] == -100


def test_ces_reports_the_mean_and_the_share_agreeing():
    # given 4 answers of 7 and 4 of 3
    figure = scoring.ces({7: 4, 3: 4}, min_sample=8)
    assert figure["value"] == 5.0
    assert figure["agree"] == 0.5


def test_median_of_odd_and_even_samples():
    assert scoring.median([5, 1, 3], min_sample=1)["value"] == 3
    assert scoring.median([4, 1, 3, 2], min_sample=1)["value"] == 2.5


def test_median_interval_contains_the_median():
    figure = scoring.median(range(100), min_sample=30)
    assert figure["low"] <= figure["value"] <= figure["high"]
    assert figure["low"] == 39
    assert figure["high"] == 60


def test_median_below_minimum_sample_is_null():
    assert scoring.median([1, 2, 3])["value"] is None
