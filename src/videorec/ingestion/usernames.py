"""Who may take a username: upstream users rename, and two of them may swap names.

`users.username` is unique, so a user row whose username another stored user holds cannot be
written as is. It can when that holder moves to another name in the same write: a rename into a
freed name, or a swap (alice <-> bob), where each row waits for the other. `settle` finds the
largest set of rows that can all be written together; the holders they displace are renamed out
of the way first (`ingest_users.release_usernames`), inside the same transaction. Rows left out
are refused with the holder's id. A sync keeps its refused rows and settles them once more, all
together, at the end of the users (`UsernameClaims`), so a swap split across two pages lands too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from videorec.storage.repositories import ingest_users
from videorec.storage.repositories.bulk import Row
from videorec.storage.repositories.quarantine import forget


@dataclass
class Settled:
    """The rows that can be written together, the refused ones (row, holder id), and the stored
    users they displace (whose own rows are among `kept`, under another name)."""

    kept: list[int] = field(default_factory=list)
    refused: list[tuple[int, int]] = field(default_factory=list)
    displaced: list[int] = field(default_factory=list)


def settle(rows: Sequence[Row], owners: dict[str, int]) -> Settled:
    """Which of `rows` (positions) may take their username, given the stored `owners` (username
    -> user id). A row may when no one else holds the name, or its holder is written here too
    under another name, and no earlier row here claims it. Refusing a row frees no name, so
    refusals only grow: this repeats until none is added."""
    accepted = [True] * len(rows)
    while refused := _blocked(rows, accepted, owners):
        for i in refused:
            accepted[i] = False
    holds = dict(owners)  # who holds each name once the accepted rows are written
    for ok, row in zip(accepted, rows, strict=True):
        if ok:
            holds[row["username"]] = row["id"]
    settled = Settled()
    for i, (ok, row) in enumerate(zip(accepted, rows, strict=True)):
        name, uid = row["username"], row["id"]
        if not ok:
            settled.refused.append((i, holds[name]))
            continue
        settled.kept.append(i)
        if owners.get(name, uid) != uid:
            settled.displaced.append(owners[name])
    return settled


def _blocked(rows: Sequence[Row], accepted: list[bool], owners: dict[str, int]) -> list[int]:
    """The accepted rows that cannot take their names while the others are accepted."""
    moving = {row["id"]: row["username"] for ok, row in zip(accepted, rows, strict=True) if ok}
    claimed: dict[str, int] = {}
    blocked = []
    for i, (ok, row) in enumerate(zip(accepted, rows, strict=True)):
        if not ok:
            continue
        name, uid = row["username"], row["id"]
        holder = owners.get(name, uid)
        kept_by_holder = holder != uid and moving.get(holder, name) == name
        if kept_by_holder or claimed.setdefault(name, uid) != uid:
            blocked.append(i)
    return blocked


def refusal(username: str, holder: int) -> str:
    """The quarantine reason of a row refused for its username."""
    return f"username {username!r} belongs to user {holder}"


@dataclass
class Written:
    """What `write` stored: the user ids that landed, and the refused rows as (row, raw item,
    holder id), not written."""

    landed: set[int] = field(default_factory=set)
    refused: list[tuple[Row, Any, int]] = field(default_factory=list)


def write(session: Session, rows: Sequence[Row], sources: Sequence[Any]) -> Written:
    """Upsert the rows that can take their usernames, displaced holders renamed out of the way
    first, and take the landed items out of quarantine (refused by an earlier sync). Of several
    rows of one user only the last counts, as in the upsert."""
    last = {row["id"]: i for i, row in enumerate(rows)}
    rows, sources = [rows[i] for i in last.values()], [sources[i] for i in last.values()]
    owners = ingest_users.username_owners(session, [row["username"] for row in rows])
    settled = settle(rows, owners)
    ingest_users.release_usernames(session, settled.displaced)
    ingest_users.upsert_users(session, [rows[i] for i in settled.kept])
    forget(session, "users", [sources[i] for i in settled.kept])
    return Written({rows[i]["id"] for i in settled.kept},
                   [(rows[i], sources[i], holder) for i, holder in settled.refused])  # fmt: skip


@dataclass
class UsernameClaims:
    """A sync's users refused for their usernames (and not stored by a later row since),
    settled again together at its end."""

    pending: dict[int, tuple[Row, Any]] = field(default_factory=dict)

    def add(self, written: Written) -> None:
        """Follow one page: its landed users are settled, its refused ones pending."""
        for uid in written.landed:
            self.pending.pop(uid, None)
        for row, item, _ in written.refused:
            self.pending[row["id"]] = (row, item)

    def retry(self, session: Session) -> int:
        """Write those that can now take their names (out of quarantine with them); how many
        landed. The rest stay quarantined as they were."""
        if not self.pending:
            return 0
        rows = [row for row, _ in self.pending.values()]
        written = write(session, rows, [item for _, item in self.pending.values()])
        self.pending = {
            uid: kept for uid, kept in self.pending.items() if uid not in written.landed
        }
        return len(written.landed)
