"""The files sheetcrm ships besides its code: ribbon XML, VBA, message templates, the add-in guide.

Their sources are the repository's top-level folders (``xl_addin/``, ``macros/``,
``templates/``, ``docs/excel-addin.md``). A wheel carries them inside the package
(``setup.py`` copies them in at build time), read with :mod:`importlib.resources`; a
checkout (``pip install -e .``, ``PYTHONPATH=src``) reads the top-level folders themselves.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["CHECKOUT", "package_data"]

_TOP = Path(__file__).resolve().parents[2]
# The repository's top when sheetcrm runs from its src/ folder; None when installed from a wheel.
CHECKOUT: Path | None = _TOP if (_TOP / "pyproject.toml").is_file() else None


def package_data(name: str) -> Traversable:
    """A shipped file or folder by its repository path, e.g. ``"macros"``, from wheel or checkout."""
    installed = resources.files("sheetcrm").joinpath(name)
    if CHECKOUT is None or installed.is_file() or installed.is_dir():
        return installed
    return CHECKOUT / name
