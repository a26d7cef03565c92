"""schemathesis hooks for `tests/api/test_fuzz.py` (loaded through SCHEMATHESIS_HOOKS).

A feed cursor is a token the server signs (HMAC); no fuzzer can forge one, so any other string
of the right shape is rightly refused with 400 `invalid_cursor`. In schema-valid (positive)
cases the generated cursor is therefore replaced by a genuine one the server issued, given in
VIDEOREC_FUZZ_CURSOR; invalid (negative) cases keep whatever was generated.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    query = case.query
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and isinstance(query, dict) and "cursor" in query:
        query["cursor"] = os.environ["VIDEOREC_FUZZ_CURSOR"]
    return case
