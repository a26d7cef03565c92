"""`videorec models export VERSION`: add an ONNX export to a registered model's artifact."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from videorec.kit.db import existing_engine, make_sessionmaker
from videorec.settings import get_settings
from videorec.storage.repositories import model_versions

console = Console()


def export_model(version: str = typer.Argument(..., help="a version from `models list`")) -> None:
    """Export VERSION's user tower and ranker to ONNX inside its artifact (`onnx/`), checked
    equal to PyTorch within 1e-4; the server then scores with ONNX Runtime, without torch."""
    from videorec.training.artifact import load_artifact
    from videorec.training.onnx_export import export_onnx

    sessions = make_sessionmaker(existing_engine(get_settings().database_url))
    with sessions() as session:
        folder = Path(model_versions.get(session, version).path)
    meta = export_onnx(folder, load_artifact(folder))
    worst = max(meta["max_abs_diff"].values())
    console.print(f"model [bold]{version}[/]: ONNX export in {folder / 'onnx'} "
                  f"(largest difference from PyTorch {worst:.1e})")  # fmt: skip


def register(models_app: typer.Typer) -> None:
    """Add `export` to the `models` group."""
    models_app.command("export")(export_model)
