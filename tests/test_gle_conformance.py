"""The trainer against the GLE reference code's own numbers (tests/data/gle_golden):
with the reference's conventions, the frozen dynamics agree to 1e-12 and the
weights learned with Adam on every step to 1e-9 in float64."""
from pathlib import Path

import numpy as np
import pytest

from lava_vle import FloatParams, LayerSpec, NetworkSpec, make_rule
from lava_vle.optim import Adam
from lava_vle.stacked import StackedNetwork

GOLDEN = np.load(Path(__file__).parent / "data" / "gle_golden" / "mnist1d_gle_subset.npz")
LAYERS = range(1, 8)
STATES = {"u": "u", "ubreve": "u_breve", "r": "r", "v": "v", "e": "e_breve"}
#: the reference's conventions (docs/model.md sections 3 and 4)
REFERENCE = dict(dtype="float64", error_weights="forward", input_timing="current")


def relative(mine: np.ndarray, gold: np.ndarray) -> float:
    return float(np.linalg.norm(mine - gold) / np.linalg.norm(gold))


def golden_network() -> tuple[NetworkSpec, FloatParams]:
    sizes = [int(n) for n in GOLDEN["sizes"]]
    layers = tuple(LayerSpec(sizes[l], tau_m=GOLDEN[f"tau_m_{l}"], tau_r=GOLDEN[f"tau_r_{l}"],
                             activation=str(GOLDEN["activation"][l - 1])) for l in LAYERS)
    spec = NetworkSpec(n_in=sizes[0], layers=layers, dt=float(GOLDEN["dt"]), loss="ce",
                       beta=float(GOLDEN["beta"]), gamma=float(GOLDEN["gamma"]),
                       recurrent_error="none")
    init = FloatParams([GOLDEN[f"W0_{l}"] for l in LAYERS], [GOLDEN[f"b0_{l}"] for l in LAYERS],
                       [None] * len(LAYERS))
    return spec, init


def time_major(x: np.ndarray, sequences: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (T, B, 1) and one-hot targets (T, B, 10), the same at every step."""
    steps = x.shape[1]
    targets = np.repeat(GOLDEN["target_onehot"][None, :sequences], steps, axis=0)
    return np.ascontiguousarray(x[:sequences].T[:, :, None]), targets


def learned(options: dict, x: np.ndarray) -> tuple[list, list]:
    """The local rule with Adam after every step over the batch, the state carried
    from one call to the next (cut at 8 and 40 steps); (W, b) after 8 and 360 steps."""
    spec, init = golden_network()
    rule = make_rule("vle", "float", spec, init, np.ones(int(GOLDEN["T"])),
                     float(GOLDEN["adam_lr"]), "adam", update_interval=1, carry_state=True,
                     **options)
    inputs, targets = time_major(x)
    checkpoints = []
    for first, last in ((0, 8), (8, 40), (40, 360)):
        rule.batch(inputs[first:last], targets[first:last])
        if last in GOLDEN["learn_steps"]:
            params = rule.float_params()
            checkpoints.append((params.weights, params.biases))
    return checkpoints


def worst_change_difference(checkpoints: list, run: str) -> float:
    """Largest relative difference of W - W0 and b - b0 over populations and checkpoints."""
    worst = 0.0
    for i, (weights, biases) in enumerate(checkpoints):
        for l in LAYERS:
            for name, mine in (("W", weights[l - 1]), ("b", biases[l - 1])):
                start = GOLDEN[f"{name}0_{l}"]
                worst = max(worst, relative(mine - start, GOLDEN[f"{run}_{name}_{l}"][i] - start))
    return worst


def test_frozen_dynamics_equal_the_reference_to_1e_12_per_population():
    spec, init = golden_network()
    net = StackedNetwork(spec, np.float64, input_timing="current")
    sequences = GOLDEN["frozen_u_1"].shape[1]
    x, y = time_major(GOLDEN["x"], sequences)
    recorded = {key: [] for key in STATES}

    def record(t, state, rates_pre, rates_before):
        net.output_error(state, y[t], 1.0)
        if t + 1 in GOLDEN["frozen_steps"]:
            for key, field in STATES.items():
                recorded[key].append(np.array(getattr(state, field)))

    net.run(net.pack(init), x, errors=True, on_step=record)
    for key, stack in recorded.items():
        stack = np.stack(stack)  # (steps, L, B, n)
        for l in LAYERS:
            size = int(GOLDEN["sizes"][l])
            error = relative(stack[:, l - 1, :, :size], GOLDEN[f"frozen_{key}_{l}"])
            assert error <= 1e-12, f"{key} of population {l}: {error:.2e}"


def test_learned_weights_equal_the_reference_to_1e_9_in_float64():
    assert worst_change_difference(learned(REFERENCE, GOLDEN["x"]), "learn") <= 1e-9


def test_the_delayed_input_learns_what_the_reference_learns_from_a_delayed_sequence():
    """The default timing (x[t-1] at step t, as the simulator and Lava) equals
    the reference fed the input one step later."""
    delayed = {**REFERENCE, "input_timing": "delayed"}
    assert worst_change_difference(learned(delayed, GOLDEN["x"]), "delayed_learn") <= 1e-9


@pytest.mark.parametrize("change", [{"error_weights": "updated"}, {"dtype": "float32"},
                                    {"input_timing": "delayed"}])
def test_each_convention_is_needed(change):
    """Each option the conformance needs changes what is learned by more than 1e-6."""
    assert worst_change_difference(learned({**REFERENCE, **change}, GOLDEN["x"]),
                                   "learn") > 1e-6


def test_learned_outputs_follow_the_reference_over_the_whole_run():
    spec, init = golden_network()
    rule = make_rule("vle", "float", spec, init, np.ones(int(GOLDEN["T"])),
                     float(GOLDEN["adam_lr"]), "adam", update_interval=1, carry_state=True,
                     **REFERENCE)
    outputs = rule.batch(*time_major(GOLDEN["x"]))
    assert relative(outputs, GOLDEN["learn_out"]) <= 1e-12


def test_adam_equals_torch_adam_to_float64_round_off():
    """One optimiser formula for every rule: torch.optim.Adam's (eps added to
    the bias-corrected sqrt(v_hat)), an independent implementation."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(7, 5)), rng.normal(size=(5,))]
    grads = [[rng.normal(size=p.shape) * 10.0 ** rng.integers(-8, 2) for p in start]
             for _ in range(60)]
    ours = [p.copy() for p in start]
    theirs = [torch.tensor(p, requires_grad=True) for p in start]
    adam, reference = Adam(ours, lr=3e-3), torch.optim.Adam(theirs, lr=3e-3)
    for step in grads:
        adam.step(step)
        for tensor, g in zip(theirs, step):
            tensor.grad = torch.tensor(g)
        reference.step()
    for mine, tensor in zip(ours, theirs):
        gold = tensor.detach().numpy()
        assert relative(mine - start[0 if mine.ndim == 2 else 1], gold - start[
            0 if mine.ndim == 2 else 1]) <= 1e-12


def test_a_rule_saved_mid_run_continues_with_the_error_path_one_update_behind():
    """The error path's own weights (one update behind) are part of the saved
    state: a rule restored after 40 steps learns what the uninterrupted one does."""
    spec, init = golden_network()
    inputs, targets = time_major(GOLDEN["x"])

    def rule():
        return make_rule("vle", "float", spec, init, np.ones(int(GOLDEN["T"])), 1e-3, "adam",
                         update_interval=1, carry_state=True, **REFERENCE)

    whole, first = rule(), rule()
    whole.batch(inputs[:40], targets[:40])
    first.batch(inputs[:40], targets[:40])
    resumed = rule()
    resumed.load_state_dict(first.state_dict())
    for trained in (whole, resumed):
        trained.batch(inputs[40:80], targets[40:80])
    assert all(np.array_equal(a, b) for a, b in zip(whole.params.arrays(),
                                                    resumed.params.arrays()))
