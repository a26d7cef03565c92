from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.evaluation import metrics


def _truth(rows: list[list[int]], n_items: int = 6) -> sp.csr_matrix:
    dense = np.zeros((len(rows), n_items), np.float32)
    for r, items in enumerate(rows):
        dense[r, items] = 1
    return sp.csr_matrix(dense)


class TestTopK:
    def test_orders_best_first_and_skips_excluded(self):
        scores = np.array([[0.1, 0.9, 0.5, 0.7, 0.3]])
        exclude = sp.csr_matrix(np.array([[0, 1, 0, 0, 0]]))
        assert metrics.top_k(scores, exclude, 3).tolist() == [[3, 2, 4]]


class TestAccuracy:
    def test_matches_hand_computed_values(self):
        # user 0: truth {1, 4}, list [1, 2, 4] -> hits at ranks 1 and 3
        # user 1: truth {5},    list [0, 5, 3] -> hit at rank 2
        topk = np.array([[1, 2, 4], [0, 5, 3]])
        result = metrics.accuracy(topk, _truth([[1, 4], [5]]), k=3)
        dcg0 = 1 + 1 / math.log2(4)
        idcg0 = 1 + 1 / math.log2(3)
        assert result["recall"] == pytest.approx([1.0, 1.0])
        assert result["hr"] == pytest.approx([1.0, 1.0])
        assert result["mrr"] == pytest.approx([1.0, 0.5])
        assert result["ndcg"] == pytest.approx([dcg0 / idcg0, (1 / math.log2(3)) / 1.0])

    def test_cuts_at_k_and_counts_misses(self):
        topk = np.array([[0, 1, 2, 3]])
        result = metrics.accuracy(topk, _truth([[2, 3, 5]]), k=2)
        assert result["recall"] == pytest.approx([0.0])
        assert result["hr"] == pytest.approx([0.0])
        assert result["mrr"] == pytest.approx([0.0])
        assert result["ndcg"] == pytest.approx([0.0])

    def test_partial_recall_uses_all_held_out_items(self):
        topk = np.array([[2, 0]])
        result = metrics.accuracy(topk, _truth([[2, 3, 5, 1]]), k=2)
        assert result["recall"] == pytest.approx([0.25])
        # ideal: two hits in two slots
        assert result["ndcg"] == pytest.approx([1 / (1 + 1 / math.log2(3))])

    def test_skips_users_without_held_out_items(self):
        topk = np.array([[0, 1], [0, 1]])
        result = metrics.accuracy(topk, _truth([[], [1]]), k=2)
        assert result["recall"].shape == (1,)


class TestBeyondAccuracy:
    def test_coverage_is_the_share_of_distinct_items(self):
        assert metrics.coverage(np.array([[0, 1], [1, 2]]), 6) == pytest.approx(0.5)

    def test_novelty_is_mean_self_information(self):
        # item 0 used by 4 of 4 users (0 bits), item 1 by 1 of 4 (2 bits)
        train = sp.csr_matrix(np.array([[1, 1], [1, 0], [1, 0], [1, 0]], np.float32))
        assert metrics.novelty(np.array([[0], [1]]), train) == pytest.approx(1.0)

    def test_gini_is_zero_when_even_and_high_when_concentrated(self):
        assert metrics.gini(np.array([[0, 1], [2, 3]]), 4) == pytest.approx(0.0)
        # counts [0, 0, 0, 4] -> (2*4-4-1)*4 / (4*4) = 0.75
        assert metrics.gini(np.array([[3, 3], [3, 3]]), 4) == pytest.approx(0.75)
