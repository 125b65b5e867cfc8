"""Deprecated path of :mod:`lava_vle.synthetic_tasks` (published by the
tutorials of version 0.1.0); import from :mod:`lava_vle`."""
import warnings

from lava_vle.synthetic_tasks import (TeacherStudent, demo_spec, demo_task,  # noqa: F401
                                      smooth_inputs, teacher_student)

warnings.warn("lava_vle.tasks is now lava_vle.synthetic_tasks; import teacher_student, "
              "demo_spec and demo_task from lava_vle", DeprecationWarning, stacklevel=2)
