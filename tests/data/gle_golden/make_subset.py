"""Cut tests/data/gle_golden/mnist1d_gle_subset.npz out of the GLE golden data
set (``mnist1d_gle.npz``, outputs of the GLE reference code; see README.md
beside this file). Run from the repository root:

    python tests/data/gle_golden/make_subset.py PATH/TO/mnist1d_gle.npz
"""
import sys
from pathlib import Path

import numpy as np

#: frozen runs: these recorded steps, these sequences of the batch
FROZEN_STEPS = (1, 2, 3, 8, 40, 360)
FROZEN_SEQUENCES = 2
#: learning runs: these checkpoints (all 8 sequences: the update is a batch mean)
LEARN_STEPS = (8, 360)
LAYERS = range(1, 8)
STATES = ("u", "ubreve", "r", "v", "e")


def subset(golden: dict) -> dict:
    keep = {k: golden[k] for k in ("sizes", "activation", "dt", "T", "B", "beta", "gamma",
                                    "adam_lr", "adam_betas", "adam_eps", "x", "x_delayed",
                                    "labels", "target_onehot", "reference_commit")}
    for l in LAYERS:
        for name in ("tau_m", "tau_r", "W0", "b0"):
            keep[f"{name}_{l}"] = golden[f"{name}_{l}"]
    frozen = [list(golden["recorded_steps"]).index(s) for s in FROZEN_STEPS]
    learn = [list(golden["checkpoint_steps"]).index(s) for s in LEARN_STEPS]
    keep["frozen_steps"] = np.array(FROZEN_STEPS)
    keep["learn_steps"] = np.array(LEARN_STEPS)
    for l in LAYERS:
        for state in STATES:
            keep[f"frozen_{state}_{l}"] = golden[f"frozen_{state}_{l}"][frozen, :FROZEN_SEQUENCES]
        for run in ("learn", "delayed_learn"):
            for name in ("W", "b"):
                keep[f"{run}_{name}_{l}"] = golden[f"{run}_{name}_{l}"][learn]
    keep["learn_out"] = golden["learn_out"]
    return keep


if __name__ == "__main__":
    source = np.load(sys.argv[1])
    target = Path(__file__).with_name("mnist1d_gle_subset.npz")
    np.savez_compressed(target, **subset({k: source[k] for k in source.files}))
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
