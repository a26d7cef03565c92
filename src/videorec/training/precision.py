"""Mixed precision for the two-tower's training steps.

Under `bfloat16` the towers' forward pass runs in `torch.autocast`: matrix products (the post
encoder's 384-wide text projection first of all, then the tower MLPs) take bfloat16 inputs and
accumulate in float32, while the weights, their gradients and the optimiser state stay float32
and the losses are computed in float32 (`models.two_tower`). On a CPU with native bfloat16
(AVX512-BF16 or AMX) the text projection of the ~19,000 distinct posts of a 10M-event batch's
histories ran 3.5x faster than in float32, but since training pools history texts before
projecting them (`PostEncoder.pool`) the whole step gains ~7%; on a CPU without native
bfloat16 autocast would be slower, so `auto` keeps float32 there. The default is `float32`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import torch

from videorec.features.text import native_bf16
from videorec.training.config import Precision


def uses_bf16(device: torch.device, precision: Precision) -> bool:
    """Whether steps on `device` run under bfloat16 autocast (`auto`: where it is native)."""
    if precision != "auto":
        return precision == "bfloat16"
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return device.type == "cpu" and native_bf16()


def autocast(device: torch.device, precision: Precision) -> AbstractContextManager[Any]:
    """The context a training step's forward pass runs in."""
    enabled = uses_bf16(device, precision)
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)
