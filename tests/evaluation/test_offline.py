from __future__ import annotations

import numpy as np
import pytest

from videorec.errors import InvalidInput
from videorec.evaluation.datasets import bare_catalog
from videorec.evaluation.offline import evaluate

from .conftest import clustered_log


class TestEvaluate:
    def test_temporal_runs_reuse_the_first_runs_choices(self):
        log = clustered_log(n_users=80, per_user=15)
        report = evaluate(
            log,
            bare_catalog(np.unique(log.post_ids)),
            dataset="demo",
            protocol="temporal",
            models=("item-knn", "ease"),
            runs=2,
        )
        assert report.params["ease"][0] == report.params["ease"][1]
        assert report.values["ease"]["ndcg@10"][0] == report.values["ease"]["ndcg@10"][1]
        assert report.info["test_users"] > 0

    def test_personalised_models_beat_popularity_on_taste_groups(self):
        log = clustered_log(n_users=80, per_user=15)
        report = evaluate(
            log,
            bare_catalog(np.unique(log.post_ids)),
            dataset="demo",
            protocol="random-811",
            models=("popularity", "item-knn", "ease"),
            runs=1,
        )
        summary = report.summary()
        assert summary["ease"]["recall@10"][0] > summary["popularity"]["recall@10"][0]
        assert summary["item-knn"]["recall@10"][0] > summary["popularity"]["recall@10"][0]

    def test_an_empty_log_is_a_clear_error(self):
        log = clustered_log().select(np.zeros(720, bool))
        with pytest.raises(InvalidInput, match="no positive"):
            evaluate(log, bare_catalog(np.arange(3)), dataset="demo", protocol="temporal")
