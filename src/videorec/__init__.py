"""videorec: a self-hostable recommendation service for short-video apps."""

__version__ = "0.1.0"
