"""Build hooks that pyproject.toml cannot express.

1. Packages: ``lava_vle`` and its subpackages from ``lava_vle/``, and the
   top-level folder ``processes/`` (with every subpackage found later) as
   ``lava_vle.processes``.  No top-level ``processes`` or ``tests`` package.
2. ``lava_vle_py311.pth`` at the root of site-packages: it activates the
   Python 3.11 fix for lava-nc (``lava_vle/_lava_py311.py``) at interpreter
   start-up, whatever is imported first.  Written for wheels (``pip install
   .``) by build_py, and for editable installs (``pip install -e .``) by
   editable_wheel.
"""

import os

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

PTH_NAME = "lava_vle_py311.pth"
# site.py executes .pth lines that start with "import".  This one imports
# only the tiny lava_vle/__init__.py and the hook module.
PTH_TEXT = "import lava_vle._lava_py311\n"

HERE = os.path.dirname(os.path.abspath(__file__))


def _packages():
    skip = ["*__pycache__*", "*.egg-info*"]
    pkgs = find_namespace_packages(
        where=HERE, include=["lava_vle", "lava_vle.*"], exclude=skip)
    pkgs.append("lava_vle.processes")
    pkgs += ["lava_vle.processes." + p for p in find_namespace_packages(
        where=os.path.join(HERE, "processes"), exclude=skip)]
    return sorted(pkgs)


class BuildPyWithPth(build_py):
    """Also put the .pth file at the root of the wheel (-> site-packages)."""

    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):
            self.mkpath(self.build_lib)
            target = os.path.join(self.build_lib, PTH_NAME)
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(PTH_TEXT)

    def get_outputs(self, *args, **kwargs):
        outputs = list(super().get_outputs(*args, **kwargs))
        if not getattr(self, "editable_mode", False):
            outputs.append(os.path.join(self.build_lib, PTH_NAME))
        return outputs


cmdclass = {"build_py": BuildPyWithPth}

try:
    from setuptools.command.editable_wheel import editable_wheel
except ImportError:  # setuptools < 64: legacy develop, no hook via .pth
    editable_wheel = None

if editable_wheel is not None and hasattr(editable_wheel, "_install_namespaces"):

    class EditableWheelWithPth(editable_wheel):
        """Also put the .pth file into the editable wheel.

        Uses setuptools' (private) ``_install_namespaces(unpacked_dir, name)``
        step, which receives the unpacked wheel directory.  If a future
        setuptools drops it, editable installs just lack the .pth and
        ``import lava_vle`` still installs the fix.
        """

        def _install_namespaces(self, installation_dir, *args, **kwargs):
            super()._install_namespaces(installation_dir, *args, **kwargs)
            with open(os.path.join(installation_dir, PTH_NAME), "w",
                      encoding="utf-8") as fh:
                fh.write(PTH_TEXT)

    cmdclass["editable_wheel"] = EditableWheelWithPth


setup(
    packages=_packages(),
    package_dir={"lava_vle": "lava_vle", "lava_vle.processes": "processes"},
    package_data={"lava_vle": ["py.typed"]},  # PEP 561: the package carries its types
    cmdclass=cmdclass,
)
