"""`videorec train`'s verdicts: the short-history tower's and the ranker's, from metrics.json."""

from __future__ import annotations

from rich.console import Console

from videorec.terminal.train_view import _print_selection

SHORT = {
    "two_tower": {"cold1_ndcg@10": 0.05, "cold2_ndcg@10": 0.06, "cold_ndcg@10": 0.055},
    "short_tower": {"cold1_ndcg@10": 0.07, "cold2_ndcg@10": 0.08, "cold_ndcg@10": 0.075},
}


def _printed(selection: dict) -> str:
    console = Console(record=True, width=200)
    _print_selection(console, selection)
    return console.export_text()


class TestShortHistoryVerdict:
    def test_kept_says_for_which_histories_with_both_towers_figures(self) -> None:
        text = _printed({"short_history": {**SHORT, "kept": True, "max_events": 2}})
        assert "cold1 0.0700 vs 0.0500" in text
        assert "cold2 0.0800 vs 0.0600" in text
        assert "kept for histories of 1-2 events" in text

    def test_dropped_says_so(self) -> None:
        text = _printed({"short_history": {**SHORT, "kept": False, "max_events": 0}})
        assert "dropped (every history uses the two-tower)" in text

    def test_skipped_says_why(self) -> None:
        text = _printed({"short_history": {"kept": False, "max_events": 0, "skipped": "why"}})
        assert "short-history tower: skipped (why)" in text

    def test_nothing_without_the_stage(self) -> None:
        assert _printed({}) == ""


def test_each_member_of_a_pair_gets_the_retrieval_label_and_its_number() -> None:
    from videorec.terminal.train_view import stage_label

    assert stage_label("two_tower") == "retrieval"
    assert stage_label("two_tower 2/2") == "retrieval 2/2"
    assert stage_label("text") == "post texts"
    assert stage_label("something new") == "something new"
