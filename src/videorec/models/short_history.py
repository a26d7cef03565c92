"""The short-history user tower: a second user MLP for users with only a few events.

The two-tower's user tower learns from whole histories (dozens of events on the demo data), and
its vector for a user with one or two events ranks worse than popularity. Training it on cut
histories too lifts those users but lowers the warm ones (bench/results/2026-11-27-cold-dnn.md).
So users with at most `max_events` known events get their vector from a copy of the user MLP
fine-tuned on short histories (`training.recipes.short_history`), reading the same inputs (the
history's summary from the shared post encoder); everyone else keeps the two-tower's vector,
bit for bit. The post tower is untouched, so post vectors and the ANN index stay as they are.

`user_vectors(two_tower, short, ...)` is the one place that dispatches: `LoadedModel`, the cold
validation slices and the ONNX export (`UserTowers`, one graph) all go through it.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from videorec.models.ensemble import Retrieval, TwoTowerEnsemble, lead_tower
from videorec.models.two_tower import TwoTower, finished_user


class ShortHistoryTower(nn.Module):
    """A user MLP for short histories on top of a trained `TwoTower`'s user inputs.

    Holds only its own weights (a copy of the two-tower's user MLP, then fine-tuned) and the
    dispatch threshold; the post encoder (and the user id table, if any) are the two-tower's.

    Args:
        two_tower: the trained model whose user MLP is copied.
        max_events: histories with 1..max_events known events (post table row > 0) use this
            tower; 0: none do.
    """

    def __init__(self, two_tower: TwoTower, max_events: int) -> None:
        super().__init__()
        self.user_mlp = copy.deepcopy(two_tower.user_mlp)
        self.normalize = two_tower.normalize
        self.bias = two_tower.post_bias is not None
        self.register_buffer("max_events", torch.tensor(max_events, dtype=torch.long))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """User vectors from `TwoTower.user_inputs`, shape (b, out_dim)."""
        return finished_user(self.user_mlp(inputs), normalize=self.normalize, bias=self.bias)

    def set_max_events(self, n: int) -> None:
        """Dispatch histories of 1..n known events to this tower (0: none)."""
        self.get_buffer("max_events").fill_(n)

    def takes(self, history: torch.Tensor) -> torch.Tensor:
        """Which histories this tower serves: shape (b, L) post rows -> (b, 1) bool. Padding and
        unknown posts (row 0) are not events here; an empty history stays with the two-tower
        (no validation slice covers it)."""
        events = (history > 0).sum(-1, keepdim=True)
        return (events >= 1) & (events <= self.get_buffer("max_events"))


def user_vectors(
    two_tower: Retrieval,
    short: ShortHistoryTower | None,
    users: torch.Tensor,
    history: torch.Tensor,
    weights: torch.Tensor,
) -> torch.Tensor:
    """User vectors, shape (b, out_dim): the short tower's for short histories, the two-tower's
    for the rest (exactly `two_tower.user_vectors`; the inputs are computed once for both).

    With a user id embedding (`user_id = true`) the short tower reads the unknown user's row 0
    in place of the user's own, whoever the user is: it was fine-tuned on row 0 only
    (`training.recipes.short_history`), so a known user's trained id is an input it never saw.

    For an ensemble (`models.ensemble`) the short tower is its first member's: a short history
    gets that vector in the first member's coordinates and zeros in the others'.
    """
    if short is None:
        return two_tower.user_vectors(users, history, weights)
    lead = lead_tower(two_tower)
    inputs = lead.user_inputs(users, history, weights)
    cold = short(_as_unknown_user(lead, inputs))
    warm = lead.finish_user(lead.user_mlp(inputs))
    if isinstance(two_tower, TwoTowerEnsemble):
        warm = two_tower.user_vectors(users, history, weights, first=warm)
        cold = F.pad(cold, (0, warm.shape[-1] - cold.shape[-1]))
    return torch.where(short.takes(history), cold, warm)


def _as_unknown_user(two_tower: TwoTower, inputs: torch.Tensor) -> torch.Tensor:
    """`inputs` (from `TwoTower.user_inputs`) with the id part, when there is one, replaced by
    the unknown user's row 0: the same as `user_inputs` of user 0, without a second history
    pass."""
    if two_tower.users is None:
        return inputs
    width = two_tower.users.embedding_dim
    unknown = two_tower.users.weight[0].expand(inputs.shape[0], width)
    return torch.cat([unknown, inputs[:, width:]], -1)


class UserTowers(nn.Module):
    """Both user towers as one module (the ONNX export traces it into one graph, so serving
    dispatches exactly as PyTorch does)."""

    def __init__(self, two_tower: Retrieval, short: ShortHistoryTower | None) -> None:
        super().__init__()
        self.two_tower = two_tower
        self.short = short

    def forward(
        self, users: torch.Tensor, history: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        return user_vectors(self.two_tower, self.short, users, history, weights)
