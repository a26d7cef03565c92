"""A pure reader of MovieLens-100k (`u.data`, `u.item`, `u.user`, `u.genre`) into column arrays.

MovieLens is for evaluation only: its licence forbids redistribution, so videorec never ships or
copies it; it reads it from where it lies (by default `<repo>/../shared/data/movielens-100k`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from videorec.datagen.truth import IntArray
from videorec.errors import InvalidInput, NotFound

ENCODING = "latin-1"
"""u.item holds titles in ISO-8859-1 (e.g. 'Misérables')."""
UNKNOWN_TIME = -(2**62)
"""`released` of a movie without a release date (epoch seconds are negative before 1970)."""


@dataclass(frozen=True)
class MovieLensUsers:
    """shape (n_users,) each."""

    ids: IntArray
    ages: IntArray
    genders: list[str]
    occupations: list[str]
    zip_codes: list[str]


@dataclass(frozen=True)
class MovieLensItems:
    """`genres` has shape (n_items, n_genres); `released` is epoch seconds or `UNKNOWN_TIME`."""

    ids: IntArray
    titles: list[str]
    released: IntArray
    imdb_urls: list[str]
    genres: np.ndarray


@dataclass(frozen=True)
class MovieLensRatings:
    """One row per rating, in `u.data` order, shape (n,) each; `stars` are 1-5."""

    user_ids: IntArray
    item_ids: IntArray
    stars: IntArray
    timestamps: IntArray


@dataclass(frozen=True)
class MovieLens:
    """The whole data set: users, items (movies), genre names and ratings."""

    users: MovieLensUsers
    items: MovieLensItems
    genre_names: list[str]
    ratings: MovieLensRatings


def read_movielens(path: Path | str) -> MovieLens:
    """Read MovieLens-100k from its folder.

    Raises:
        NotFound: the folder or one of its files is missing.
        InvalidInput: a file does not parse as MovieLens-100k.
    """
    folder = Path(path)
    for name in ("u.data", "u.item", "u.user", "u.genre"):
        if not (folder / name).is_file():
            raise NotFound(f"MovieLens-100k file {folder / name} not found (pass --path)")
    try:
        return MovieLens(
            users=_users(folder / "u.user"),
            items=_items(folder / "u.item"),
            genre_names=_genres(folder / "u.genre"),
            ratings=read_ratings(folder / "u.data"),
        )
    except (ValueError, IndexError) as exc:
        raise InvalidInput(f"{folder} is not MovieLens-100k: {exc}") from exc


def _lines(path: Path) -> list[list[str]]:
    text = path.read_text(encoding=ENCODING)
    return [line.split("|") for line in text.splitlines() if line.strip()]


def _genres(path: Path) -> list[str]:
    rows = sorted((int(index), name) for name, index in _lines(path))
    return [name for _, name in rows]


def _users(path: Path) -> MovieLensUsers:
    rows = _lines(path)
    return MovieLensUsers(
        ids=np.array([int(r[0]) for r in rows], dtype=np.int64),
        ages=np.array([int(r[1]) for r in rows], dtype=np.int64),
        genders=[r[2] for r in rows],
        occupations=[r[3] for r in rows],
        zip_codes=[r[4] for r in rows],
    )


def _items(path: Path) -> MovieLensItems:
    rows = _lines(path)
    return MovieLensItems(
        ids=np.array([int(r[0]) for r in rows], dtype=np.int64),
        titles=[r[1] for r in rows],
        released=np.array([_release(r[2]) for r in rows], dtype=np.int64),
        imdb_urls=[r[4] for r in rows],
        genres=np.array([[flag == "1" for flag in r[5:]] for r in rows], dtype=bool),
    )


def _release(text: str) -> int:
    if not text:
        return UNKNOWN_TIME
    return int(datetime.strptime(text, "%d-%b-%Y").replace(tzinfo=UTC).timestamp())


def read_ratings(path: Path) -> MovieLensRatings:
    """`u.data` alone: one row per rating, in file order.

    Raises:
        InvalidInput: the file is not tab-separated rows of four integers.
    """
    try:
        table = np.loadtxt(path, dtype=np.int64, delimiter="\t", ndmin=2)
        return MovieLensRatings(
            user_ids=table[:, 0], item_ids=table[:, 1], stars=table[:, 2], timestamps=table[:, 3]
        )
    except (ValueError, IndexError) as exc:
        raise InvalidInput(
            f"{path} is not MovieLens-100k's u.data (user, item, rating, time; tab-separated "
            f"integers): {exc}"
        ) from exc
