"""The streaming detector: causal, bounded, non-saturating, seasonal, and it catches what matters."""

from __future__ import annotations

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
