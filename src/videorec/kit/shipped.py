"""Where the shipped config files are found, whatever the working directory.

`configs/train/default.toml` and `configs/serve/default.toml` live in the checkout. Looked up
relative to the working directory alone, they were missed by a command run from anywhere else
(`videorec up` in another folder trained the code defaults: 67 epochs instead of the shipped 40),
and nothing said so. `shipped` looks in the working directory first (a project of one's own may
keep its configs there) and then in the checkout this package runs from (`python3 dev.py`
installs it editable, so the checkout is three folders above this file).
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]
"""The repository root of an editable install (src/videorec/kit/shipped.py -> the root)."""


def shipped(relative: Path) -> Path | None:
    """`relative` (e.g. `configs/train/default.toml`) under the working directory when it is a
    file there, else under the checkout, else None (an install without the checkout's configs)."""
    for root in (Path.cwd(), CHECKOUT):
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return None
