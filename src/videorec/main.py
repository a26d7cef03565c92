"""`uvicorn videorec.main:app`: the app built from the environment's settings."""

from videorec.api.app import create_app

app = create_app()
