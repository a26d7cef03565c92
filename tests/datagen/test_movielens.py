"""MovieLens-100k: the pure reader, and the import into both backends (once per backend)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import PostgresFactory, fresh_database_url
from videorec.datagen.movielens import read_movielens
from videorec.datagen.movielens_import import CATEGORY_ID_BASE, import_movielens
from videorec.errors import NotFound
from videorec.kit.db import make_engine
from videorec.storage import migrate
from videorec.storage.tables import Category, Interaction, Post, User

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MOVIELENS = SHARED / "data" / "movielens-100k"
LIKES = 55_375
"""Ratings of 4 or 5 stars in MovieLens-100k."""

pytestmark = pytest.mark.skipif(
    not MOVIELENS.is_dir(), reason="needs ../shared/data/movielens-100k"
)


@pytest.fixture(scope="module")
def movielens():
    return read_movielens(MOVIELENS)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def imported(request, movielens, tmp_path_factory, postgres_factory: PostgresFactory):
    """A fresh database of each backend with MovieLens imported once, and the import's counts."""
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("ml"), postgres_factory)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        counts = import_movielens(session, movielens)
        session.commit()
    yield engine, counts
    engine.dispose()


class TestReadMovielens:
    def test_reads_every_user_movie_and_rating(self, movielens) -> None:
        assert len(movielens.users.ids) == 943
        assert len(movielens.items.ids) == 1_682
        assert len(movielens.ratings.stars) == 100_000
        assert movielens.items.genres.shape == (1_682, 19)

    def test_genres_are_in_index_order(self, movielens) -> None:
        assert movielens.genre_names[:2] == ["unknown", "Action"]

    def test_stars_lie_between_one_and_five(self, movielens) -> None:
        assert set(movielens.ratings.stars.tolist()) == {1, 2, 3, 4, 5}

    def test_missing_folder_is_reported(self, tmp_path) -> None:
        with pytest.raises(NotFound):
            read_movielens(tmp_path / "nowhere")


class TestImportMovielens:
    def test_counts_every_row(self, imported) -> None:
        _, counts = imported
        assert (counts.users, counts.posts, counts.categories) == (943, 1_682, 19)
        assert (counts.views, counts.ratings, counts.likes) == (100_000, 100_000, LIKES)

    def test_tables_hold_the_derived_interactions(self, imported) -> None:
        engine, _ = imported
        with Session(engine) as session:
            by_kind = dict(
                session.execute(
                    select(Interaction.kind, func.count()).group_by(Interaction.kind)
                ).all()
            )
            assert by_kind == {"view": 100_000, "rating": 100_000, "like": LIKES}
            assert session.scalar(select(func.count()).select_from(User)) == 943

    def test_rating_is_stars_times_twenty(self, imported, movielens) -> None:
        engine, _ = imported
        with Session(engine) as session:
            first = session.scalars(
                select(Interaction).where(
                    Interaction.kind == "rating", Interaction.upstream_id == 1
                )
            ).one()
        assert first.rating == int(movielens.ratings.stars[0]) * 20
        assert first.user_id == int(movielens.ratings.user_ids[0])

    def test_movies_land_in_their_first_genre(self, imported) -> None:
        engine, _ = imported
        with Session(engine) as session:
            toy_story = session.get(Post, 1)
            assert toy_story is not None
            category = session.get(Category, toy_story.category_id)
        assert toy_story.title == "Toy Story (1995)"
        assert category is not None
        assert category.name == "Animation"
        assert toy_story.category_id == CATEGORY_ID_BASE + 3

    def test_reimport_adds_nothing(self, imported, movielens) -> None:
        engine, _ = imported
        with Session(engine) as session:
            again = import_movielens(session, movielens)
            session.commit()
            total = session.scalar(select(func.count()).select_from(Interaction))
        assert set(vars(again).values()) == {0}
        assert total == 200_000 + LIKES
