"""schemathesis hooks for `tests/api/test_fuzz.py` (loaded through SCHEMATHESIS_HOOKS).

A feed cursor is a token the server signs (HMAC); no fuzzer can forge one, so any other string
of the right shape is rightly refused with 400 `invalid_cursor`. In schema-valid (positive)
cases the generated cursor is therefore replaced by a genuine one the server issued, given in
VIDEOREC_FUZZ_CURSOR, and the username by the one it was issued to (a cursor names its user:
VIDEOREC_FUZZ_CURSOR_USER); invalid (negative) cases keep whatever was generated.

Likewise, what a schema cannot state about `POST /events` items: that `post_id` names a stored
post (VIDEOREC_FUZZ_POST is one) and that `at` lies between 1970 and now. Positive cases get a
stored post and no `at` outside that span; the server rightly rejects the rest item by item (422).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import schemathesis


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    query = case.query
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and isinstance(query, dict) and "cursor" in query:
        query["cursor"] = os.environ["VIDEOREC_FUZZ_CURSOR"]
        query["username"] = os.environ["VIDEOREC_FUZZ_CURSOR_USER"]
    body = case.body
    if positive and isinstance(body, dict) and isinstance(body.get("events"), list):
        for item in body["events"]:
            if isinstance(item, dict):
                _on_a_stored_post_in_the_past(item)
    return case


def _on_a_stored_post_in_the_past(item: dict[str, Any]) -> None:
    item["post_id"] = int(os.environ["VIDEOREC_FUZZ_POST"])
    at = item.get("at")
    if isinstance(at, int | float) and not isinstance(at, bool) and at < 0:
        item["at"] = None  # epoch ms before 1970
    if isinstance(at, str):
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return
        now = datetime.now(UTC) if when.tzinfo else datetime.now(UTC).replace(tzinfo=None)
        if when > now or when.replace(tzinfo=None) < datetime(1970, 1, 1):
            item["at"] = None
