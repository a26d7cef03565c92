"""The house rule on layers: a lower floor never imports a higher one.

Each module under `src/videorec` is parsed (not imported) and every import it holds is read,
including the ones inside functions, so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import videorec

PACKAGE_ROOT = Path(videorec.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, module: str) -> set[str]:
    """Every module `path` imports, absolute, at any depth of its code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: resolve it against the package
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from x import sub`
    return names


IMPORTS = {
    _module_name(path): _imported(path, _module_name(path))
    for path in sorted(PACKAGE_ROOT.rglob("*.py"))
}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _imports_into(higher: str, modules: list[str]) -> dict[str, list[str]]:
    """Those of `modules` that import anything of the package `higher`, with what they import."""
    found = {module: sorted(n for n in IMPORTS[module] if _within(n, higher)) for module in modules}
    return {module: names for module, names in found.items() if names}


def test_every_module_is_read() -> None:
    assert "videorec.bootstrap" in IMPORTS
    assert "videorec.cli.train" in IMPORTS
    assert any(_within(name, "videorec.training") for name in IMPORTS["videorec.cli.train"])


def test_nothing_outside_cli_imports_cli() -> None:
    """`bootstrap` (and every other floor) must not need the command line."""
    outside = [module for module in IMPORTS if not _within(module, "videorec.cli")]
    assert _imports_into("videorec.cli", outside) == {}


def test_features_do_not_import_storage() -> None:
    features = [module for module in IMPORTS if _within(module, "videorec.features")]
    assert _imports_into("videorec.storage", features) == {}
