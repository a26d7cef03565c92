"""A local stand-in for the Socialverse API: the six endpoints served from JSON files.

`data.py` reads the files, `faults.py` decides the injected failures, `app.py` is the Starlette
app and `server.py` runs it with uvicorn (in the foreground, or in a thread for tests).
"""
