"""Engine and session factories. No domain words here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from videorec.errors import ConfigurationError, NotFound


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine with the pragmas each backend needs.

    SQLite gets WAL, foreign keys and a busy timeout, so the API and a sync can share the file.
    Bound parameters never appear in error messages or logs (`hide_parameters`): they can hold
    usernames and key hashes.
    JSON columns are (de)serialised with orjson: a feed session's snapshot (hundreds of ids and
    scores) is written and read on every scroll page, and the standard library took ~40% of it.
    """
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = _create(url, kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return _create(url, kwargs)


def _create(url: str, kwargs: dict[str, Any]) -> Engine:
    """`create_engine`; a URL that does not parse, or names a driver not installed, is a
    `ConfigurationError` (the CLI prints it as one line)."""
    try:
        return create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigurationError(
            f"the database URL (VIDEOREC_DATABASE_URL) is not one this install can open: {exc}"
        ) from exc


def existing_engine(url: str) -> Engine:
    """`make_engine` for a command that only reads (`stats`, `db current`, `models list`): a
    SQLite file that does not exist is an error naming where it was looked for, instead of a new
    empty database (the default path is relative to the working directory: run elsewhere, such
    a command reported zeros).

    Raises:
        NotFound: `url` names a SQLite file that does not exist.
    """
    engine = make_engine(url)  # checks the URL; SQLite makes its file only on a connection
    path = sqlite_file(engine.url)
    if path is not None and not path.exists():
        engine.dispose()
        raise NotFound(
            f"no database at {path.resolve()}: run from the folder where `videorec up` made it, "
            "or set VIDEOREC_DATABASE_URL"
        )
    return engine


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names; None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _json_dumps(value: Any) -> str:
    """`json.dumps` as SQLAlchemy uses it, faster: non-str keys become strings, as there."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
