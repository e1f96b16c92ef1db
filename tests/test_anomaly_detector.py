"""The streaming detector: causal, bounded, non-saturating, seasonal, and it catches what matters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from syncmon_pipeline.anomaly import ANOMALY_THRESHOLD, score_series

HOURS = pd.date_range("2026-09-01", periods=24 * 42, freq="h")
AFTER_WARMUP = 24 * 7


def daily_rhythm(seed: int = 0, noise: float = 5.0) -> np.ndarray:
    """Office-hours load on weekdays, quiet weekends, plus noise."""
    rng = np.random.default_rng(seed)
    hour, weekday = HOURS.hour.to_numpy(), HOURS.day_of_week.to_numpy() < 5
    return 100 + 50 * np.sin(2 * np.pi * (hour - 6) / 24) * weekday + rng.normal(0, noise, len(HOURS))


def scores(values: np.ndarray) -> pd.Series:
    return score_series(pd.Series(values, HOURS))


@pytest.mark.parametrize("seed", range(5))
def test_scores_stay_in_the_unit_interval(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.lognormal(3, 1, 500), rng.normal(0, 1e6, 300), np.zeros(208)])
    result = scores(values)
    assert result.between(0, 1).all() and (result < 1).all()
    assert len(result) == len(values) and result.index.equals(HOURS)


def test_causal_a_prefix_scores_the_same():
    values = daily_rhythm()
    values[500] += 200
    full = scores(values)
    for cut in (10, 300, 501, 800):
        prefix = score_series(pd.Series(values[:cut], HOURS[:cut]))
        np.testing.assert_allclose(full.iloc[:cut].to_numpy(), prefix.to_numpy())


def test_a_daily_and_weekly_rhythm_alone_raises_no_anomaly():
    for seed in range(5):
        assert scores(daily_rhythm(seed)).iloc[AFTER_WARMUP:].max() < ANOMALY_THRESHOLD


def test_extreme_points_score_higher_than_unusual_ones_without_saturating():
    results = []
    for size in (40, 80, 400, 4000):
        values = daily_rhythm()
        values[600] += size
        results.append(scores(values).iloc[600])
    assert results == sorted(results) and len(set(results)) == 4
    assert results[-1] < 1.0 and results[1] > ANOMALY_THRESHOLD


@pytest.mark.parametrize("change", [+90.0, -90.0])
def test_spikes_and_drops_are_caught(change):
    values = daily_rhythm()
    values[650] += change
    result = scores(values)
    assert result.iloc[650] > ANOMALY_THRESHOLD
    assert result.drop(result.index[650]).iloc[AFTER_WARMUP:].max() < ANOMALY_THRESHOLD


def test_a_level_shift_is_caught_when_it_happens_and_then_learnt():
    values = daily_rhythm()
    values[700:] += 80
    result = scores(values)
    assert result.iloc[700] > ANOMALY_THRESHOLD
    assert result.iloc[700 + 72 :].max() < ANOMALY_THRESHOLD  # three days later it is the new normal


def test_a_flat_line_in_a_moving_series_is_caught():
    values = daily_rhythm()
    values[720:760] = values[720]
    result = scores(values)
    assert result.iloc[720:760].max() > ANOMALY_THRESHOLD
    assert result.iloc[AFTER_WARMUP:720].max() < ANOMALY_THRESHOLD


def test_quantised_bursty_counts_do_not_alarm_but_a_burst_does():
    rng = np.random.default_rng(7)
    counts = rng.poisson(0.3, len(HOURS)).astype(float)
    assert scores(counts).iloc[AFTER_WARMUP:].max() < ANOMALY_THRESHOLD
    counts[800] = 15
    assert scores(counts).iloc[800] > ANOMALY_THRESHOLD


def test_cold_start_keeps_scores_low_while_learning():
    rng = np.random.default_rng(3)
    values = rng.lognormal(2, 1.5, len(HOURS))
    assert scores(values).iloc[:24].max() < ANOMALY_THRESHOLD


def test_gaps_and_missing_values_are_tolerated():
    values = daily_rhythm()
    values[400:410] = np.nan
    index = HOURS.delete(range(500, 572))  # three days without data
    series = pd.Series(np.delete(values, range(500, 572)), index)
    result = score_series(series)
    assert result.iloc[400:410].eq(0).all()
    assert result.iloc[AFTER_WARMUP:].max() < ANOMALY_THRESHOLD


def test_resuming_from_saved_state_scores_new_points_identically():
    from syncmon_pipeline.anomaly.detector import DetectorState, score_frame

    values = daily_rhythm()
    values[700] += 150
    series = pd.Series(values, HOURS)
    whole, _ = score_frame(series)
    first, state = score_frame(series.iloc[:500])
    resumed, _ = score_frame(series.iloc[500:], state=DetectorState.from_json(state.to_json()))
    pd.testing.assert_frame_equal(pd.concat([first, resumed]), whole)
    assert (whole["scale"].iloc[1:] > 0).all()
    assert abs(whole["expected"].iloc[AFTER_WARMUP:] - values[AFTER_WARMUP:]).median() < 10


def test_astronomical_outliers_still_stay_below_one_and_keep_their_order():
    values = daily_rhythm()
    results = []
    for size in (1e6, 1e9, 1e12, 1e15):
        spiked = values.copy()
        spiked[600] += size
        results.append(scores(spiked).iloc[600])
    assert all(r < 1.0 for r in results) and results == sorted(results) and len(set(results)) == 4


# --- properties over arbitrary input (hypothesis) -------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from syncmon_pipeline.anomaly import DetectorState, score_frame  # noqa: E402

ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, 5e-324, np.nan, np.inf, -np.inf]),
    st.integers(0, 20).map(float),  # bursty integer counts
)
SERIES = st.lists(ANY_FLOAT, max_size=400)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _series(values: list[float], timed: bool) -> pd.Series:
    index = pd.date_range("2026-01-01", periods=len(values), freq="5min") if timed else pd.RangeIndex(len(values))
    return pd.Series(np.array(values, dtype=float), index=index)


@PROPERTY
@given(SERIES, st.booleans())
def test_any_input_scores_in_the_unit_interval_with_its_index(values, timed):
    series = _series(values, timed)
    result = score_series(series)
    assert result.index.equals(series.index) and len(result) == len(values)
    assert result.between(0.0, 1.0).all()
    assert (result[np.isfinite(series.to_numpy())] < 1.0).all()  # only an infinite value may score ~1
    assert (result[series.isna().to_numpy()] == 0.0).all()


@PROPERTY
@given(SERIES, st.data())
def test_any_input_prefix_and_resumed_chunks_score_like_one_pass(values, data):
    series = _series(values, timed=True)
    whole, final = score_frame(series)
    cut = data.draw(st.integers(0, len(values)))
    prefix, state = score_frame(series.iloc[:cut])
    resumed, resumed_final = score_frame(series.iloc[cut:], state=DetectorState.from_json(state.to_json()))
    np.testing.assert_array_equal(prefix["score"].to_numpy(), whole["score"].to_numpy()[:cut])
    pd.testing.assert_frame_equal(pd.concat([prefix, resumed]), whole)
    assert resumed_final.to_json() == final.to_json()


@PROPERTY
@given(st.lists(st.integers(0, 5), min_size=1, max_size=300), st.floats(-1e12, 1e12))
def test_bands_hold_the_expectation(counts, offset):
    frame, _ = score_frame(_series([offset + c for c in counts], timed=True))
    known = frame.dropna()
    assert (known["lower_band"] <= known["expected"]).all() and (known["expected"] <= known["upper_band"]).all()
    assert (known["scale"] >= 0).all()


def test_edge_inputs():
    assert score_series(pd.Series([], dtype=float)).empty
    for constant in (0.0, 7.0, -1e300, 1e-300):
        assert score_series(pd.Series(np.full(500, constant), HOURS[:500])).eq(0).all()
    stuck = score_series(pd.Series(np.full(300, np.nan), HOURS[:300]))
    assert stuck.eq(0).all()
    odd = pd.Series([1.0, np.inf, 2.0, -np.inf, 3.0] * 60, index=[f"k{i}" for i in range(300)])  # no timestamps
    result = score_series(odd)
    assert result.between(0, 1).all() and result.index.equals(odd.index)


def test_extremes_stay_ordered_and_a_series_of_them_is_not_stuck_at_one():
    rng = np.random.default_rng(11)
    wild = pd.Series(rng.standard_cauchy(2000) * 1e200, pd.date_range("2026-01-01", periods=2000, freq="5min"))
    result = score_series(wild)
    assert (result < 1).all() and result.nunique() > 100 and result.median() < ANOMALY_THRESHOLD


# --- behaviour on series like the pipeline's and NAB's --------------------------------------------


def test_a_clean_five_minute_daily_and_weekly_pattern_raises_nothing_after_warm_up():
    index = pd.date_range("2026-01-05", periods=288 * 28, freq="5min")
    rng = np.random.default_rng(5)
    minutes = index.hour.to_numpy() * 60 + index.minute.to_numpy()
    weekday = index.day_of_week.to_numpy() < 5
    values = 50 + 20 * np.sin(2 * np.pi * minutes / 1440) + 15 * weekday + rng.normal(0, 2, len(index))
    assert score_series(pd.Series(values, index)).iloc[288 * 7 :].max() < ANOMALY_THRESHOLD


def test_a_drop_inside_the_range_is_caught():
    values = daily_rhythm()
    values[660] -= 70  # hour 12 on a weekday: from about 150 to about 80, still inside the range
    result = scores(values)
    assert result.iloc[660:663].max() >= ANOMALY_THRESHOLD
    assert result.iloc[AFTER_WARMUP:660].max() < ANOMALY_THRESHOLD


def test_one_alarm_per_event():
    values = daily_rhythm()
    values[700:] += 150  # a lasting shift far beyond the range
    result = scores(values)
    alarms = np.flatnonzero(result.to_numpy() >= ANOMALY_THRESHOLD)
    assert alarms[0] == 700 and len(alarms) <= 3


def test_a_state_saved_by_the_previous_method_is_not_resumed():
    old = '{"level": 1.0, "slot_mean": [0.0], "seen": 10}'
    assert DetectorState.from_json(old) is None
    series = pd.Series(daily_rhythm()[:300], HOURS[:300])
    pd.testing.assert_frame_equal(score_frame(series, state=None)[0], score_frame(series)[0])


def test_the_threshold_is_one_chance_in_a_hundred_thousand():
    from syncmon_pipeline.anomaly.likelihood import log10_tail

    assert ANOMALY_THRESHOLD == 0.5
    assert abs(log10_tail(4.264891) - 5.0) < 1e-4  # the Gaussian tail at 1e-5
    for z in (5.0, 24.9, 25.0, 30.0):  # the asymptotic series beyond 5, against the exact tail
        exact = -np.log10(0.5 * math.erfc(z / np.sqrt(2)))
        assert abs(log10_tail(z) / exact - 1) < 1e-6
    assert np.isfinite(log10_tail(1e6)) and log10_tail(1e6) > log10_tail(1e5)
