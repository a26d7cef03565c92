from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videorec.errors import InvalidInput
from videorec.evaluation.datasets import implicit_positives, load_dataset, min_positive_rating
from videorec.features.log import KIND_CODES


class TestSocialverseLoader:
    def test_reads_every_engagement_file_and_the_posts(self, socialverse_dir: Path):
        log, catalog = load_dataset("demo", socialverse_dir)
        assert len(log) == 720 + 240 + 2
        assert set(np.unique(log.kinds).tolist()) == {0, 1, 3}
        assert len(catalog) == 45  # 40 logged posts + 5 listed only in posts.json
        assert (np.diff(log.timestamps) >= 0).all()

    def test_low_ratings_are_not_positive(self, socialverse_dir: Path):
        log, _ = load_dataset("demo", socialverse_dir)
        ratings = implicit_positives(log).select(
            implicit_positives(log).kinds == KIND_CODES["rating"]
        )
        assert ratings.post_ids.tolist() == [100]

    def test_demo_needs_a_directory(self):
        with pytest.raises(InvalidInput, match="--data"):
            load_dataset("demo")

    def test_missing_files_are_a_clear_error(self, tmp_path: Path):
        with pytest.raises(InvalidInput, match="no engagement files"):
            load_dataset("demo", tmp_path)

    def test_a_file_that_is_not_json_is_a_clear_error_naming_it(self, tmp_path: Path):
        (tmp_path / "view.json").write_text('[{"user_id": 1, "post_id": 2,')
        with pytest.raises(InvalidInput, match="view.json is not JSON"):
            load_dataset("demo", tmp_path)


class TestMovieLensLoader:
    def test_every_rating_is_a_positive(self, tmp_path: Path):
        (tmp_path / "u.data").write_text("1\t10\t1\t881250949\n2\t11\t5\t881250950\n")
        log, catalog = load_dataset("movielens-100k", tmp_path)
        assert len(implicit_positives(log, min_positive_rating("movielens-100k"))) == 2
        assert catalog.post_ids.tolist() == [10, 11]

    @pytest.mark.parametrize("text", ["1,10,1,881250949\n", "1\t10\n", "a\tb\tc\td\n"])
    def test_a_file_that_is_not_u_data_is_a_clear_error_naming_it(self, tmp_path: Path, text):
        (tmp_path / "u.data").write_text(text)
        with pytest.raises(InvalidInput, match="u.data"):
            load_dataset("movielens-100k", tmp_path)


class TestOracleLoading:
    def test_no_truth_means_no_oracle(self, socialverse_dir: Path):
        from videorec.evaluation.oracle import load_truth

        assert load_truth(socialverse_dir) is None
        assert load_truth(None) is None


class TestPostsCatalogue:
    def test_reads_category_creator_time_and_title_from_the_posts_file(self, tmp_path: Path):
        (tmp_path / "view.json").write_text(
            '[{"id": 1, "post_id": 7, "user_id": 1, "viewed_at": "2024-01-10 07:20:55"},'
            ' {"id": 2, "post_id": 8, "user_id": 1, "viewed_at": "2024-01-10 07:21:55"}]'
        )
        (tmp_path / "posts.json").write_text(
            '[{"id": 7, "category": {"id": 4}, "username": "ana", "created_at": 1699329653000,'
            ' "title": "never give up", "view_count": 41}]'
        )
        _, catalog = load_dataset("demo", tmp_path)
        assert catalog.post_ids.tolist() == [7, 8]
        assert catalog.category_ids.tolist() == [4, -1]
        assert catalog.creators == ["ana", ""]
        assert catalog.created_at.tolist() == [1699329653, -1]
        assert catalog.texts == ["never give up", ""]
        assert catalog.counters["view_count"].tolist() == [41.0, 0.0]
