"""Deprecated path of :mod:`lava_vle.learners` (published by the tutorials of
version 0.1.0); import from :mod:`lava_vle` or :mod:`lava_vle.learners`."""
import warnings

from lava_vle.learners import (BPTT, ExactAdjoint, StackedRule, VLEFixed, VLELocal,  # noqa: F401
                               local_updates, make_rule)

warnings.warn("lava_vle.rules is now lava_vle.learners; import local_updates from lava_vle",
              DeprecationWarning, stacklevel=2)
