"""The operator dashboard at `/ui` (templates and vendored htmx ship inside this package)."""

from videorec.api.ui.routes import install_ui, router

__all__ = ["install_ui", "router"]
