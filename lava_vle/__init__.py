"""lava-vle: Lava processes that learn with Variational Latent Equilibrium."""

__version__ = "0.1.0"

from lava_vle import _lava_py311  # noqa: E402  (Python 3.11 fix for lava-nc)

_lava_py311.install()
