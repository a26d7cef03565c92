"""Log + standard scaling with mean imputation and missing flags."""

from __future__ import annotations

import numpy as np

from videorec.features.scaling import LogStandardScaler


class TestLogStandardScaler:
    def test_known_value_after_log_and_standardisation(self) -> None:
        values = np.array([[0.0], [np.e - 1]], dtype=np.float32)  # log1p -> 0 and 1
        out = LogStandardScaler.fit(values).transform(np.array([[np.e - 1]], dtype=np.float32))
        np.testing.assert_allclose(out, [[1.0, 0.0]], atol=1e-5)

    def test_missing_values_become_the_mean_with_a_flag(self) -> None:
        values = np.array([[1.0, np.nan], [3.0, np.nan]], dtype=np.float32)
        scaler = LogStandardScaler.fit(values)
        out = scaler.transform(np.array([[np.nan, 5.0]], dtype=np.float32))
        assert scaler.width == 4
        np.testing.assert_allclose(out[0, [0, 2, 3]], [0.0, 1.0, 0.0])
        assert np.isfinite(out).all()

    def test_negative_counters_are_clipped_not_nan(self) -> None:
        scaler = LogStandardScaler.fit(np.array([[1.0], [2.0]], dtype=np.float32))
        assert np.isfinite(scaler.transform(np.array([[-5.0]], dtype=np.float32))).all()
