from __future__ import annotations

import pytest

from videorec.errors import InvalidCursor
from videorec.kit.cursor import decode_cursor, encode_cursor


class TestCursor:
    def test_round_trip(self) -> None:
        token = encode_cursor({"s": "abc", "p": 2}, secret=b"k", ttl_s=60)
        assert decode_cursor(token, secret=b"k")["p"] == 2

    def test_another_key_is_rejected(self) -> None:
        token = encode_cursor({"s": "abc", "p": 2}, secret=b"k", ttl_s=60)
        with pytest.raises(InvalidCursor, match="signature"):
            decode_cursor(token, secret=b"other")

    def test_an_expired_cursor_is_rejected(self) -> None:
        token = encode_cursor({"s": "abc", "p": 2}, secret=b"k", ttl_s=-1)
        with pytest.raises(InvalidCursor, match="expired"):
            decode_cursor(token, secret=b"k")
