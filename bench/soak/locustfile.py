"""Mixed traffic for `bench/soak.py` (run by locust, in its own environment).

Per simulated app user: open a feed (a new session), scroll it with `next_cursor`, list posts,
and now and then send bad input that must be refused with a 4xx. Environment:
SOAK_KEY (API key), SOAK_USERS (known usernames u1..uN), SOAK_RPS_PER_USER (0: as fast as
possible).
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, constant, constant_throughput, task

KEY = os.environ.get("SOAK_KEY", "")
USERS = int(os.environ.get("SOAK_USERS", "20000"))
RPS = float(os.environ.get("SOAK_RPS_PER_USER", "0"))
BAD = [
    ({"username": "u1", "page": "0"}, "page=0"),
    ({"username": "u1", "page_size": "abc"}, "page_size=abc"),
    ({"username": "u1", "cursor": "garbage"}, "cursor=garbage"),
    ({"username": "u1", "cursor": "x", "page": "2"}, "cursor+page"),
    ({"username": "bad name!"}, "username=bad"),
]


class AppUser(FastHttpUser):
    wait_time = constant_throughput(RPS) if RPS > 0 else constant(0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {KEY}"} if KEY else {}
        self.username = f"u{random.randint(1, USERS)}"
        self.cursor: str | None = None

    def _feed(self, params: dict[str, str], name: str) -> None:
        with self.client.get("/feed", params=params, name=name, headers=self.headers,
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"{name}: {response.status_code} {response.text[:120]}")
                self.cursor = None
                return
            self.cursor = response.json().get("next_cursor")

    @task(4)
    def new_feed(self) -> None:
        self.username = f"u{random.randint(1, USERS)}"
        self._feed({"username": self.username, "page_size": "20"}, "/feed (new)")

    @task(4)
    def scroll(self) -> None:
        if self.cursor is None:
            self.new_feed()
            return
        self._feed({"username": self.username, "cursor": self.cursor}, "/feed (scroll)")

    @task(2)
    def posts(self) -> None:
        page = str(random.randint(1, 200))
        params = {"page": page, "page_size": "20"}
        self.client.get("/posts/all", params=params, name="/posts/all", headers=self.headers)

    @task(1)
    def bad_input(self) -> None:
        params, label = random.choice(BAD)
        with self.client.get("/feed", params=params, name="/feed (bad input)",
                             headers=self.headers, catch_response=True) as response:  # fmt: skip
            if response.status_code in (400, 422):
                response.success()
            else:
                response.failure(f"bad input {label}: {response.status_code}")
