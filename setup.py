"""Build step: the repository's top-level data folders go into the wheel as sheetcrm's package data.

Their sources stay at the top (``xl_addin/``, ``macros/``, ``templates/``, the add-in guide)
and are copied to the same paths inside the package, where :mod:`sheetcrm.package_data`
reads them with importlib.resources. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("xl_addin/customUI.xml", "macros", "templates", "docs/excel-addin.md")


class BuildPyWithData(build_py):
    """build_py, then the shipped files copied into the built package."""

    def run(self) -> None:
        """Build the modules, then copy each shipped file or folder in."""
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        top = Path(__file__).resolve().parent
        package = Path(self.build_lib) / "sheetcrm"
        for name in SHIPPED:
            source, target = top / name, package / name
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


setup(cmdclass={"build_py": BuildPyWithData})
