"""The training settings per task and rule that ``lava-vle train`` starts from.

``lava-vle train --task T --rule R`` (and ``sweep``, ``compare``) starts from
the plain defaults of :class:`~lava_vle.train.TrainConfig`, applies the
recipe of ``(T, R, precision)`` below, then the options given on the command
line; library users get the same from ``TrainConfig.from_recipe(T, R,
precision)``. The runs behind each recipe, and how it was chosen, are in
``docs/training.md`` ("Recipes"), ``docs/recipe-selection/`` and
``docs/results.md``.
"""
from __future__ import annotations

from typing import Any

# options (TrainConfig field names) per task: "float" for every float rule, then
# per rule ("vle", "bptt", "exact"); "fixed" is the whole fixed-point recipe (the
# integer rule's lr is its own: eta = lr / batch, no optimiser). A recipe is the
# task and rule as defined (no hold, teach window, weight averaging or
# eligibilities on every weight: those are variants, given as options). The
# float recipes of the compared tasks are the comparisons' validation picks
# (docs/recipe-selection/from-comparisons.md, tested); digits' and the
# fixed-point ones come from their own validation runs (docs/recipe-selection/)
RECIPES: dict[str, dict[str, dict[str, Any]]] = {
    "digits": {"float": {"batch_size": 32, "lr": 3e-3},
               "fixed": {"batch_size": 32, "lr": 0.032}},
    "delayed-xor": {"float": {"activation": "hard_tanh", "batch_size": 50,
                              "lr_schedule": "cosine"},
                    "vle": {"lr": 1e-3, "update_interval": 10},
                    "bptt": {"lr": 3e-3}, "exact": {"lr": 3e-3},
                    "fixed": {"batch_size": 50, "lr": 0.03}},
    "pattern": {"float": {"lr_schedule": "cosine"},
                "vle": {"lr": 1e-2, "recurrent_error": "eprop"},
                "bptt": {"lr": 3e-2}, "exact": {"lr": 3e-2}},
    "fashion-smnist-row": {"vle": {"update_interval": 9, "recurrent_error": "eprop",
                                   "settle_steps": 6},
                           "bptt": {"lr": 3e-3}, "exact": {"lr": 3e-3}},
    "smnist-row": {"vle": {"update_interval": 9, "recurrent_error": "eprop", "settle_steps": 6},
                   "bptt": {"lr": 1e-2}, "exact": {"lr": 1e-2}},
    "mnist1d": {"float": {"lr": 1e-3, "lr_schedule": "plateau"},
                # the GLE reference's learning loop, picked on validation
                "vle": {"update_interval": 1, "carry_state": True,
                        "lr_schedule": "plateau-frozen", "error_weights": "forward",
                        "input_timing": "current", "bias_init": "uniform"},
                "fixed": {"lr": 1e-3}},
}


def recipe(task: str, rule: str = "vle", precision: str = "float") -> dict[str, Any]:
    """The recipe's options for ``task`` trained by ``rule`` in ``precision``
    (empty for a task without one)."""
    parts = RECIPES.get(task, {})
    if precision == "fixed":
        return dict(parts.get("fixed", {}))
    return {**parts.get("float", {}), **parts.get(rule, {})}


def describe(task: str, rule: str = "vle", precision: str = "float") -> str:
    """The recipe as command-line options (``--lr 0.003 --lr-schedule cosine``)."""
    words = []
    for key, value in recipe(task, rule, precision).items():
        flag = "--" + key.replace("_", "-")
        words.append(flag if value is True else f"{flag} {value}")
    return " ".join(words) or "(none: the plain defaults)"
