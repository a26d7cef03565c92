"""The API key repository on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from videorec.api.security.keys import hash_key, matches, mint_key, prefix_of
from videorec.errors import InvalidInput, NotFound
from videorec.storage.repositories import api_keys


def _add(session, name: str, scopes: list[str]):
    key = mint_key()
    row = api_keys.add(session, name=name, prefix=key.prefix, key_hash=key.key_hash,
                       scopes=scopes)  # fmt: skip
    return key, row


def test_a_key_is_found_by_prefix_and_stores_only_its_hash(session) -> None:
    key, row = _add(session, "app", ["feed:read"])
    found = api_keys.find_live(session, key.prefix)
    assert found is not None
    assert found.name == "app"
    assert found.scopes == ["feed:read"]
    assert found.key_hash == hash_key(key.secret) != key.secret
    assert key.secret not in {found.key_hash, found.prefix, found.name}


def test_names_are_unique_even_after_revocation(session) -> None:
    _add(session, "app", ["admin"])
    api_keys.revoke(session, "app")
    with pytest.raises(InvalidInput):
        _add(session, "app", ["admin"])


def test_a_revoked_key_is_not_live_and_revoking_twice_is_harmless(session) -> None:
    key, _ = _add(session, "old", ["feed:read"])
    first = api_keys.revoke(session, "old").revoked_at
    assert api_keys.revoke(session, "old").revoked_at == first
    assert api_keys.find_live(session, key.prefix) is None
    assert [row.name for row in api_keys.list_all(session)] == ["old"]


def test_revoking_an_unknown_name_is_not_found(session) -> None:
    with pytest.raises(NotFound):
        api_keys.revoke(session, "nobody")


def test_key_material() -> None:
    key = mint_key()
    assert prefix_of(key.secret) == key.prefix
    assert matches(key.secret, key.key_hash)
    assert not matches(key.secret + "x", key.key_hash)
    assert prefix_of("vr_short") is None
    assert prefix_of("xx_0123456789ab_secret") is None
    assert prefix_of("vr_0123456789aZ_secret") is None
    assert mint_key().secret != key.secret
