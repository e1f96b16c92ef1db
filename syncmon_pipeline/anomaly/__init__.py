"""Streaming anomaly detection: `score_series(values) -> scores` in [0, 1)."""

from syncmon_pipeline.anomaly.detector import (
    ANOMALY_THRESHOLD,
    DEFAULT_PARAMETERS,
    DetectorParameters,
    DetectorState,
    score_frame,
    score_series,
)

__all__ = ["ANOMALY_THRESHOLD", "DEFAULT_PARAMETERS", "DetectorParameters", "DetectorState", "score_frame", "score_series"]
