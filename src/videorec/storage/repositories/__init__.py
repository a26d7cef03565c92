"""Repositories: every query lives here. They never commit; the caller owns the transaction."""
