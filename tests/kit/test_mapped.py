"""A memory-mapped array is served as a plain, read-only view of its map."""

from __future__ import annotations

import mmap

import numpy as np

from videorec.kit.mapped import load_mapped


def test_a_mapped_array_is_a_plain_read_only_view_of_the_file(tmp_path) -> None:
    path = tmp_path / "a.npy"
    np.save(path, np.arange(12, dtype=np.int64).reshape(3, 4))
    loaded = load_mapped(path)
    assert type(loaded) is np.ndarray  # not np.memmap: no Python-level indexing
    assert type(loaded[[0, 2]]) is np.ndarray
    assert np.array_equal(loaded, np.arange(12).reshape(3, 4))
    assert not loaded.flags.writeable
    base = loaded.base
    while base is not None and not isinstance(base, mmap.mmap):  # nothing copied: the map
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    assert isinstance(base, mmap.mmap)
