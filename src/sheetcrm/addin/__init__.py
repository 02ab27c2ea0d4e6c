"""The Excel add-in: a VBA project writer (MS-OVBA, compound file) and the .xlam build and install.

``build_addin`` assembles ``xl_addin/sheetcrm.xlam`` on any OS; ``install_addin`` puts it where
Excel opens it at start-up (Windows, macOS) or explains what to do (elsewhere).
"""

from __future__ import annotations

from .build import build_addin
from .install import install_addin

__all__ = ["build_addin", "install_addin"]
