"""fit_epochs: early stopping on validation, and the moving average of the weights."""

from __future__ import annotations

import numpy as np
import torch

from tests.models.conftest import SIZES, tiny_table
from videorec.models import builders
from videorec.training.loop import WeightAverage, fit_epochs
from videorec.training.observer import SilentObserver


def _walk(model: torch.nn.Linear, values: list[float]) -> tuple[list[float], dict[str, object]]:
    """Set the weight to each value in turn (one step per epoch); validation reads the weight
    the model holds at that time. Returns what validation saw and fit_epochs' arguments."""
    seen: list[float] = []
    steps = iter(values)

    def step(_: np.ndarray) -> float:
        with torch.no_grad():
            model.weight.fill_(next(steps))
        return 0.0

    def validate(m: torch.nn.Linear) -> dict[str, float]:
        seen.append(float(m.weight[0, 0].detach()))
        return {"ndcg@10": -abs(float(m.weight[0, 0].detach()) - 1.0)}  # best at weight 1

    args = {"stage": "t", "batches": lambda: [np.zeros(1)], "step": step,
            "validate": validate, "observer": SilentObserver()}  # fmt: skip
    return seen, args


class TestWeightAverage:
    def test_tracks_an_exponential_average_with_a_short_memory_at_first(self) -> None:
        model = torch.nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            model.weight.fill_(0.0)
        average = WeightAverage(model, decay=0.5)
        with torch.no_grad():
            model.weight.fill_(4.0)
        average.update(model)  # decay min(0.5, 2 / 11): 0 * 2/11 + 4 * 9/11
        assert float(average.shadow["weight"]) == np.float32(4.0 * 9 / 11)
        with torch.no_grad():
            model.weight.fill_(0.0)
        average.update(model)  # decay min(0.5, 3 / 12)
        assert float(average.shadow["weight"]) == np.float32(4.0 * 9 / 11 * 0.25)
        for _ in range(20):
            average.update(model)  # decay 0.5 from the 9th update on
        assert 0 < float(average.shadow["weight"]) < 1e-5

    def test_applied_swaps_the_average_in_and_the_own_weights_back(self) -> None:
        model = torch.nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            model.weight.fill_(3.0)
        average = WeightAverage(model, decay=0.9)
        average.shadow["weight"].fill_(7.0)
        with average.applied(model):
            assert float(model.weight.detach()) == 7.0
        assert float(model.weight.detach()) == 3.0

    def test_applied_drops_encodings_frozen_from_other_weights(self) -> None:
        torch.manual_seed(0)
        model = builders.two_tower(tiny_table(), **SIZES, dim=4, hidden=[8], out_dim=3).eval()
        average = WeightAverage(model, decay=0.9)
        average.shadow["encoder.ids.weight"] += 1.0
        rows = torch.tensor([1, 2])
        own = model.post_vectors(rows)
        with average.applied(model):
            averaged = model.post_vectors(rows)
        assert not torch.allclose(own, averaged)
        model.encoder.freeze()  # from the own weights
        with average.applied(model):
            torch.testing.assert_close(model.post_vectors(rows), averaged)
            model.encoder.freeze()  # from the averaged weights
        torch.testing.assert_close(model.post_vectors(rows), own)


class TestFitEpochs:
    def test_keeps_the_best_validated_weights(self) -> None:
        model = torch.nn.Linear(1, 1, bias=False)
        _, args = _walk(model, [3.0, 1.2, 2.0, 5.0, 6.0])
        history = fit_epochs(model, epochs=5, patience=2, **args)  # type: ignore[arg-type]
        assert len(history) == 4  # epochs 3 and 4 did not beat epoch 2
        assert float(model.weight.detach()) == np.float32(1.2)

    def test_average_validates_and_keeps_the_averaged_weights(self) -> None:
        model = torch.nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            model.weight.fill_(0.0)
        # The steps jump around 1 (0.0, 2.0, 0.0, 2.0 ...); the average settles near it.
        seen, args = _walk(model, [0.0, 2.0] * 10)
        fit_epochs(model, epochs=20, patience=20, average=0.8, **args)  # type: ignore[arg-type]
        assert all(value not in (0.0, 2.0) for value in seen[2:])
        best = min(seen, key=lambda v: abs(v - 1.0))
        assert abs(best - 1.0) < 0.2
        assert float(model.weight.detach()) == np.float32(best)
