"""Terminal views (rich progress bars and tables) shared by the command line and `videorec up`.

This floor sits under both `cli` and `bootstrap`: it may use ingestion and training, never the
command line.
"""
