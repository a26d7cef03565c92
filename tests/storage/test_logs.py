"""Bulk reads of the catalogue: column selects give what the ORM objects would."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.serving import world
from videorec.storage.repositories.logs import load_catalog, post_text
from videorec.storage.tables import Post


class TestLoadCatalog:
    def test_columns_match_the_stored_posts(self, session: Session) -> None:
        world.populate(session, n_posts=30)
        posts = session.scalars(select(Post).order_by(Post.id)).unique().all()
        catalog = load_catalog(session)
        assert catalog.post_ids.tolist() == [p.id for p in posts]
        assert catalog.texts == [post_text(p) for p in posts]
        assert catalog.category_ids.tolist() == [p.category_id for p in posts]
        assert catalog.creators == [p.owner_username for p in posts]
        assert catalog.mood_terms == [p.mood_terms for p in posts]
        assert catalog.public.tolist() == [p.is_available_in_public_feed for p in posts]
        assert np.array_equal(catalog.counters["view_count"], [p.view_count for p in posts])
        assert (catalog.created_at > 0).all()

    def test_empty_catalogue(self, session: Session) -> None:
        catalog = load_catalog(session)
        assert len(catalog) == 0
        assert catalog.texts == []
        assert catalog.counters["view_count"].size == 0
