"""structlog setup: key-value events (`log.info("sync_page", resource="view", rows=1000)`)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO, cast

import structlog


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Route structlog and the standard library through one renderer on stderr."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    # Alembic announces its dialect on every revision check (each /ready probe): keep it quiet.
    logging.getLogger("alembic.runtime.migration").setLevel(max(logging.WARNING, _level(level)))
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=True,
    )


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time of the write.

    Loggers are cached on first use; binding the stream object itself would leave them writing
    to a closed file once a test runner (typer's CliRunner) swaps stderr back.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _level(name: str) -> int:
    return logging.getLevelNamesMapping().get(name, logging.INFO)
