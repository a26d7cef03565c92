"""Vocabularies map known keys to rows 1..n and everything else to the OOV row 0."""

from __future__ import annotations

import numpy as np

from videorec.features.vocab import OOV, IdVocabulary, TermVocabulary


class TestIdVocabulary:
    def test_known_ids_get_stable_rows_and_unknown_ids_the_oov_row(self) -> None:
        vocab = IdVocabulary.fit(np.array([7, 3, 7, 10]))
        np.testing.assert_array_equal(vocab.lookup(np.array([3, 7, 10, 99, -1])), [1, 2, 3, 0, 0])
        assert len(vocab) == 4

    def test_min_count_sends_rare_ids_to_oov(self) -> None:
        vocab = IdVocabulary.fit(np.array([1, 1, 2]), min_count=2)
        np.testing.assert_array_equal(vocab.lookup(np.array([1, 2])), [1, OOV])

    def test_empty_vocabulary_maps_everything_to_oov(self) -> None:
        vocab = IdVocabulary.fit(np.zeros(0, dtype=np.int64))
        np.testing.assert_array_equal(vocab.lookup(np.array([5, 6])), [OOV, OOV])


class TestTermVocabulary:
    def test_terms_round_trip_and_unknown_or_empty_terms_are_oov(self) -> None:
        vocab = TermVocabulary.fit(["calm", "joy", "calm", ""])
        again = TermVocabulary.from_dict(vocab.to_dict())
        np.testing.assert_array_equal(again.lookup(["joy", "calm", "rage", ""]), [2, 1, 0, 0])
