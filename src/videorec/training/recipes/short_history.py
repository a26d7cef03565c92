"""Recipe: fine-tune the short-history user tower, and choose the histories it serves.

Reads top to bottom: a copy of the trained user MLP (`models.short_history`) -> the post
vectors of the catalogue, fixed (the post tower is not trained here) -> epochs of multi-target
softmax over cut histories: 1..`train_events` of a user's events, every other post the user
engaged with positively a target -> after each epoch the short tower alone on the cold
validation slices -> early stopping, keeping the best weights -> `dispatch_threshold`: the
largest n of the slices up to which the short tower beats the two-tower (0: dropped).

Only the copied MLP trains, on the two-tower's user inputs computed without gradients, so a
step is one small MLP and one (batch x catalogue) product: a few seconds in all on the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from videorec.models.short_history import ShortHistoryTower
from videorec.models.two_tower import TwoTower, multi_target_softmax_loss
from videorec.training.config import ShortHistoryConfig
from videorec.training.data import EventArrays
from videorec.training.loop import fit_epochs
from videorec.training.observer import Observer

STAGE = "short_history"


@dataclass(frozen=True)
class CutHistories:
    """A batch of fine-tuning examples.

    Attributes:
        rows, weights: shape (b, train_events), the kept events, oldest first, right-aligned.
        targets: shape (b, n_rows - 1), the user's other positively engaged posts.
        seen: shape (b, n_rows - 1), the kept events' posts (never negatives).
    """

    rows: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float32]
    targets: npt.NDArray[np.bool_]
    seen: npt.NDArray[np.bool_]


def cut_histories(
    events: EventArrays, users: npt.NDArray[np.int64], most: int, rng: np.random.Generator,
    n_rows: int,
) -> CutHistories:  # fmt: skip
    """Each user's history cut to k random events of known posts, k uniform in 1..`most`.

    Args:
        users: shape (b,), the position of each user's first event (`events.starts`).
    """
    sizes = events.ends[users] - users
    example = np.repeat(np.arange(users.shape[0]), sizes)
    at = (
        np.repeat(users, sizes)
        + np.arange(int(sizes.sum()))
        - np.repeat(np.cumsum(sizes) - sizes, sizes)
    )
    known = events.rows[at] > 0
    example, at = example[known], at[known]
    order = np.lexsort((rng.random(at.shape[0]), example))  # random order within each user
    rank = np.empty(order.shape[0], np.int64)
    rank[order] = np.arange(order.shape[0]) - np.searchsorted(example[order], example[order])
    lengths = np.asarray(rng.integers(1, most + 1, users.shape[0]), dtype=np.int64)
    keep = rank < lengths[example]
    kept_example, kept_at = example[keep], at[keep]  # still in time order within each user
    slot = _right_aligned_slots(kept_example, users.shape[0], most)
    rows = np.zeros((users.shape[0], most), np.int64)
    weights = np.zeros((users.shape[0], most), np.float32)
    rows[kept_example, slot] = events.rows[kept_at]
    weights[kept_example, slot] = events.weights[kept_at]
    seen = np.zeros((users.shape[0], n_rows), np.bool_)
    seen[kept_example, events.rows[kept_at]] = True
    targets = np.zeros_like(seen)
    positive = ~keep & (events.weights[at] > 0)
    targets[example[positive], events.rows[at[positive]]] = True
    targets &= ~seen
    return CutHistories(rows, weights, targets[:, 1:], seen[:, 1:])


def _right_aligned_slots(example: npt.NDArray[np.int64], b: int, width: int) -> npt.NDArray[Any]:
    """Slot of each kept event (grouped by example, in order) so each row ends at `width`."""
    counts = np.bincount(example, minlength=b)
    first = np.cumsum(counts) - counts
    rank = np.arange(example.shape[0]) - first[example]
    return np.asarray(width - counts[example] + rank, dtype=np.int64)


def train_short_history(
    two_tower: TwoTower,
    events: EventArrays,
    config: ShortHistoryConfig,
    *,
    temperature: float,
    n_rows: int,
    validate: Callable[[ShortHistoryTower], dict[str, float]],
    observer: Observer,
    seed: int,
    device: torch.device,
    max_steps: int | None = None,
) -> tuple[ShortHistoryTower, list[dict[str, float]]]:
    """Fine-tune a short-history tower from `two_tower` (left unchanged).

    Args:
        validate: metrics of the short tower on the cold slices; "ndcg@10" must be what early
            stopping reads (their mean).

    Returns:
        the tower with its best validated weights (dispatching up to `train_events` events),
        and one dict per epoch: loss and validation metrics.
    """
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    short = ShortHistoryTower(two_tower, config.train_events).to(device)
    two_tower.eval()
    with torch.no_grad():
        catalogue = two_tower.post_vectors(torch.arange(1, n_rows, device=device))
    users = _users_with_events(events, minimum=2)
    steps = max(1, -(-users.shape[0] // config.batch_size))
    optimiser = torch.optim.AdamW(
        short.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )

    def to(x: npt.NDArray[Any]) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    def step(batch: npt.NDArray[np.int64]) -> float:
        cut = cut_histories(events, batch, config.train_events, rng, n_rows)
        with torch.no_grad():
            unknown = torch.zeros(batch.shape[0], dtype=torch.long, device=device)
            inputs = two_tower.user_inputs(unknown, to(cut.rows), to(cut.weights))
        loss = multi_target_softmax_loss(
            short(inputs), catalogue, to(cut.targets), to(cut.seen), temperature
        )
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        return float(loss.detach())

    def batches() -> list[npt.NDArray[np.int64]]:
        return [b for _ in range(config.passes)
                for b in np.array_split(rng.permutation(users), steps)]  # fmt: skip

    observer.on_stage(STAGE, min(steps * config.passes, max_steps or steps * config.passes),
                      config.epochs)  # fmt: skip
    epochs = fit_epochs(
        short, stage=STAGE, epochs=config.epochs, patience=config.patience, batches=batches,
        step=step, validate=validate, observer=observer, max_steps=max_steps,
    )  # fmt: skip
    return short, epochs


def _users_with_events(events: EventArrays, minimum: int) -> npt.NDArray[np.int64]:
    """First-event positions of the users with at least `minimum` events (one to keep, one to
    predict)."""
    firsts = np.unique(events.starts)
    return np.asarray(firsts[events.ends[firsts] - firsts >= minimum], dtype=np.int64)


def dispatch_threshold(
    two_tower: dict[str, float],
    short: dict[str, float],
    cold_events: list[int],
    min_gain: float,
) -> int:
    """The largest n such that every history length 1..n is a slice of `cold_events` where the
    short tower's `cold{n}_ndcg@10` beats the two-tower's by more than 0 and at least
    `min_gain`; 0 when the first does not (the tower is dropped). Lengths must be consecutive
    from 1: a length no slice validated is never dispatched to the tower."""
    chosen = 0
    for n in sorted(cold_events):
        key = f"cold{n}_ndcg@10"
        if n != chosen + 1 or key not in two_tower or key not in short:
            break
        gain = short[key] - two_tower[key]
        if gain <= 0 or gain < min_gain:
            break
        chosen = n
    return chosen
