"""The wheel carries the top-level folders the code reads (scorecard/resources.py): a build
copies site_templates/, measures/, data/demo/ and mkdocs.yml into scorecard/_resources/, as
site-packages has no checkout around the package. Everything else is in pyproject.toml."""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCES = runpy.run_path(str(ROOT / "scorecard" / "resources.py"))["RESOURCES"]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class build_py_with_resources(build_py):  # noqa: N801 (setuptools' command naming)
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders themselves
        target = Path(self.build_lib) / "scorecard" / "_resources"
        shutil.rmtree(target, ignore_errors=True)  # no file left from an earlier build
        for name in RESOURCES:
            source, copy = ROOT / name, target / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, copy, ignore=SKIP)
            else:
                shutil.copy2(source, copy)


setup(cmdclass={"build_py": build_py_with_resources})
