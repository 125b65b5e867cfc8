"""Every boundary either rejects a value by name or runs with finite results.

Hypothesis replaces one parameter of a valid call (a spec, a simulator run,
a process, a training configuration) by a random, often invalid value:
NaN, inf, huge or negative numbers, wrong types, strings, arrays of the
wrong shape. The call must raise ValueError, TypeError or
FixedPointRangeError (a ValueError) whose message names the parameter (or
the weight matrix it produces), or succeed with finite outputs.
"""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.simulator import Simulator
from lava_vle.train import TrainConfig

NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(-20, 20), st.integers(-10**6, 10**6))
WILD = st.one_of(NUMBERS, st.none(), st.booleans(), st.text(max_size=4),
                 st.lists(st.floats(-3, 3), max_size=3),
                 st.sampled_from([np.nan, np.array([np.nan]), np.ones((2, 2)), "mse", "ce",
                                  "hard_tanh", "tanh", "relu", "linear", [], {}]))
SMALL_INTS = st.one_of(st.integers(-3, 40), WILD)  # sizes: no memory blow-up
RUN = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
ALLOWED = (ValueError, TypeError)

# parameters whose bad values surface as the quantity they produce or must match
PRODUCES = {"init_gain": ("W1_0", "W2_1", "max|W|"), "weights": ("bias",)}


def rejects_by_name_or_runs(name, call, finite=lambda result: True):
    """``call()`` raises an allowed error naming ``name`` or returns a finite result."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = call()
    except ALLOWED as err:
        names = (name,) + PRODUCES.get(name, ())
        assert any(n in str(err) for n in names), \
            f"{type(err).__name__} for {name} does not name it: {err}"
        return "rejected"
    assert finite(result), f"{name}: ran with non-finite results"
    return "ran"


def simulate(spec, precision, **run):
    """Five steps of a two-sample batch, learning, in ``precision``."""
    params = init_params(spec, seed=1)
    x = np.full((5, 2, spec.n_in), 0.3)
    y = np.full((5, 2, spec.n_out), 0.1)
    return Simulator(spec, params, precision).run(
        **{"x": x, "target": y, "plasticity": "apply", "eta": 0.01, **run}).outputs


def all_finite(outputs):
    return bool(np.all(np.isfinite(outputs)))


LAYER = dict(size=3, tau_m=1.0, tau_r=0.5, activation="hard_tanh", recurrent=False,
             spiking=False, sigma_delta=0.0, error_sigma_delta=0.0, init_gain=1.0)


@RUN
@given(st.sampled_from(sorted(LAYER)), st.data(), st.sampled_from(["float", "fixed"]))
def test_layer_spec_fields(name, data, precision):
    value = data.draw(SMALL_INTS if name == "size" else WILD, label=name)

    def call():
        layer = LayerSpec(**{**LAYER, name: value})
        spec = NetworkSpec(n_in=2, layers=(layer, LayerSpec(2, activation="linear")))
        return simulate(spec, precision)

    rejects_by_name_or_runs(name, call, all_finite)


NETWORK = dict(n_in=2, dt=0.1, loss="mse", beta=1.0, gamma=0.0, feedback="mirrored",
               recurrent_error="loop", learning_epoch=1)


@RUN
@given(st.sampled_from(sorted(NETWORK) + ["layers"]), st.data(),
       st.sampled_from(["float", "fixed"]))
def test_network_spec_fields(name, data, precision):
    value = data.draw(SMALL_INTS if name == "n_in" else
                      st.one_of(WILD, st.sampled_from(["none", "stable", "eprop"]))
                      if name == "recurrent_error" else WILD, label=name)

    def call():
        settings = {**NETWORK, "layers": (LayerSpec(3, recurrent=True),
                                          LayerSpec(2, activation="linear")), name: value}
        return simulate(NetworkSpec(**settings), precision)

    rejects_by_name_or_runs(name, call, all_finite)


SPEC = NetworkSpec(n_in=2, layers=(LayerSpec(3), LayerSpec(2, activation="linear")))
ARRAYS = st.one_of(
    WILD,
    st.builds(lambda shape, value: np.full(shape, value),
              st.sampled_from([(5, 2, 2), (5, 2), (5, 2, 3), (0, 2, 2), (5,), (5, 2, 1)]),
              st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-200, 200))))


@RUN
@given(st.sampled_from(["x", "target", "eta", "modulator", "loss_weight", "plasticity",
                        "record", "first_step", "count_synops", "state"]),
       st.data(), st.sampled_from(["float", "fixed"]))
def test_simulator_run_arguments(name, data, precision):
    value = data.draw(ARRAYS if name in ("x", "target", "modulator", "loss_weight") else WILD,
                      label=name)
    rejects_by_name_or_runs(name, lambda: simulate(SPEC, precision, **{name: value}), all_finite)


PROCESSES = {
    "VLENeuron": dict(shape=(3,), tau_m=1.0, tau_r=0.5, dt=0.1, activation="relu", gamma=0.1,
                      spiking=False, sigma_delta=0.0),
    "ErrorDendrite": dict(shape=(3,), tau_m=1.0, tau_r=0.5, dt=0.1, sigma_delta=0.0),
    "PlasticSynapse": dict(weights=np.full((2, 3), 0.1), bias=np.zeros(2), weight_exp=None,
                           learning_rate=0.01, feedback=None, seed=0, headroom=2.0,
                           sigma_delta_pre=False, sigma_delta_post=False),
    "Neuromodulator": dict(value=1.0, external=False),
    "OutputError": dict(shape=(2,), loss="mse", beta=1.0),
    "VLENetwork": dict(spec=SPEC, params=None, learning_rate=0.01, seed=0, modulator=1.0,
                       external_modulator=False, fused=False),
}


def process_class(name):
    from lava_vle.processes.error_dendrite.process import ErrorDendrite
    from lava_vle.processes.neuromodulator.process import Neuromodulator
    from lava_vle.processes.output_error.process import OutputError
    from lava_vle.processes.plastic_synapse.process import PlasticSynapse
    from lava_vle.processes.vle_network.process import VLENetwork
    from lava_vle.processes.vle_neuron.process import VLENeuron

    return {"VLENeuron": VLENeuron, "ErrorDendrite": ErrorDendrite,
            "PlasticSynapse": PlasticSynapse, "Neuromodulator": Neuromodulator,
            "OutputError": OutputError, "VLENetwork": VLENetwork}[name]


@RUN
@given(st.sampled_from([(p, k) for p, kwargs in PROCESSES.items() for k in kwargs]), st.data())
def test_process_parameters(target, data):
    process, name = target
    value = data.draw(SMALL_INTS if name in ("shape", "seed", "weight_exp") else
                      st.one_of(WILD, ARRAYS) if name in ("weights", "bias", "feedback") else
                      WILD, label=name)
    cls = process_class(process)
    rejects_by_name_or_runs(name, lambda: cls(**{**PROCESSES[process], name: value}))


CONFIG = dict(task="digits", rule="vle", precision="float", epochs=2, batch_size=8, lr=1e-3,
              seed=0, update_interval=5, optimizer="adam", lr_schedule="constant",
              carry_state=False, width=None, activation=None, sigma_delta=0.0,
              error_sigma_delta=0.0, feedback="mirrored", learning_epoch=1,
              recurrent_error="none", limit_train=None, limit_test=None, dataset_kwargs={})


@RUN
@given(st.sampled_from(sorted(CONFIG)), WILD)
def test_train_config_fields(name, value):
    rejects_by_name_or_runs(name, lambda: TrainConfig(**{**CONFIG, name: value}))


def test_the_property_tests_reject_the_issues_examples_by_name():
    """The inputs the issue found silent or obscure, one each."""
    cases = [("size", lambda: LayerSpec(size=2.7)),
             ("beta", lambda: NetworkSpec(n_in=2, layers=(LayerSpec(2),), beta=-1)),
             ("gamma", lambda: NetworkSpec(n_in=2, layers=(LayerSpec(2),), gamma=np.nan)),
             ("eta", lambda: simulate(SPEC, "float", eta=np.nan)),
             ("eta", lambda: simulate(SPEC, "float", eta=-1)),
             ("W1_0", lambda: Simulator(SPEC, type(init_params(SPEC))(
                 [np.full((3, 2), np.nan), np.zeros((2, 3))], [np.zeros(3), np.zeros(2)],
                 [None, None]), "fixed"))]
    for name, call in cases:
        assert rejects_by_name_or_runs(name, call) == "rejected", name


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
@settings(max_examples=200, deadline=None)
def test_to_state_never_flips_a_sign_and_warns_when_it_saturates(value):
    from lava_vle import fixed_point as fxp

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state = int(fxp.to_state(value))
    assert np.sign(state) in (np.sign(value), 0)
    low = -(1 << (fxp.STATE_BITS - 1)) / fxp.ONE
    saturated = value > fxp.STATE_MAX_REAL or value < low
    assert any("saturate" in str(w.message) for w in caught) == saturated
    if not saturated:
        assert abs(fxp.from_state(state) - value) <= 0.5 / fxp.ONE


class FakeModel:
    """What the port contracts read of a process model."""

    implements_process = type("VLENeuron", (), {})
    time_step = 2

    def __init__(self, sources=None):
        self.proc_params = {"float_sources": {"s_in": sources}} if sources else {}


def test_a_wide_layers_summed_input_above_128_is_no_reason_to_warn():
    from lava_vle.processes._ports import _check_float

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_float(FakeModel(), "a_in", np.full(3000, 200.0), range_checked=False)
    with pytest.warns(UserWarning, match="Q7.16 integers"):
        _check_float(FakeModel(), "s_in", np.full(3, 200.0))


@pytest.mark.slow  # starts the Lava runtime
def test_integer_source_data_beyond_32_bits_is_found_before_it_wraps():
    """int64 data of 2**40 + 5.0 in Q7.16 would reach a fixed_pt port as 5.0."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.source import RingBuffer

    from lava_vle import LayerSpec as Layer, NetworkSpec as Spec
    from lava_vle.processes import VLENetwork, stopping

    net = VLENetwork(spec=Spec(n_in=2, layers=(Layer(3), Layer(2, activation="linear"))))
    RingBuffer(data=np.full((2, 4), 2**40 + 5 * 65536, np.int64)).s_out.connect(net.s_in)
    RingBuffer(data=np.zeros((2, 4), np.int32)).s_out.connect(net.target_in)
    with pytest.raises(ValueError, match=r"VLENetwork.s_in \(fixed_pt\).*1.09951e\+12: beyond "
                                         r"the 32-bit integers"):
        with stopping(net):
            net.run(condition=RunSteps(2), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))


def test_specs_that_cannot_learn_are_refused_by_name():
    from lava_vle import TrainConfig as Config, Trainer, load_dataset

    with pytest.raises(ValueError, match="loss='ce' needs an output layer of >= 2 units, got 1"):
        NetworkSpec(n_in=2, loss="ce", layers=(LayerSpec(1, activation="linear"),))
    with pytest.raises(ValueError, match="learning_epoch=9 must be <= the 8 steps of a digits"):
        Trainer(load_dataset("digits"), Config(task="digits", learning_epoch=9))


@given(st.floats(min_value=1e-9, max_value=1e3, allow_nan=False))
@settings(max_examples=100, deadline=None)
def test_any_spelling_of_a_grid_value_names_the_same_trial(lr):
    from lava_vle.cli import build_parser
    from lava_vle.experiments.sweep import grid_points

    _, options = build_parser()
    spellings = [repr(lr), f"{lr:.17e}", f"{lr:.17g}"]
    names = {grid_points([f"lr={text}"], options)[0][0] for text in spellings}
    assert names == {f"lr={lr!r}"}
    try:
        grid_points([f"lr={spellings[0]},{spellings[1]}"], options)
    except ValueError as err:
        assert "distinct" in str(err)
    else:
        raise AssertionError("two spellings of one value made two trials")


def test_a_network_with_fewer_outputs_than_the_task_has_classes_is_refused():
    from lava_vle import Trainer, load_dataset

    data = load_dataset("digits")
    spec = NetworkSpec(n_in=8, loss="ce", layers=(LayerSpec(4, activation="linear"),))
    with pytest.raises(ValueError, match="spec has 8 inputs and 4 outputs; digits has 8 input "
                                         "channels and 10 classes"):
        Trainer(data, TrainConfig(task="digits"), spec)


def test_a_network_too_large_to_hold_is_refused_naming_its_size_not_allocated():
    from lava_vle.spec import LayerSpec, NetworkSpec, init_params

    spec = NetworkSpec(n_in=2, layers=(LayerSpec(200_000, 1.0, 1.0, recurrent=True),
                                       LayerSpec(2, 1.0, 1.0, "linear")), dt=0.1)
    with pytest.raises(ValueError, match=r"need 298 GiB .*population 1 -> 1, 200,000 x "
                                         r"200,000.*make the layers smaller"):
        init_params(spec)


def test_a_simulator_without_parameters_says_what_it_needs():
    from lava_vle import Simulator
    from lava_vle.spec import LayerSpec, NetworkSpec

    spec = NetworkSpec(n_in=2, layers=(LayerSpec(2, 1.0, 1.0, "linear"),), dt=0.1)
    with pytest.raises(TypeError, match="params must be FloatParams or FixedParams .*got "
                                        "NoneType"):
        Simulator(spec, None)


def test_a_fixed_point_run_records_the_optimiser_that_ran_and_refuses_adam():
    """Fixed-point runs recorded optimizer='adam' while their integer rule is SGD."""
    from lava_vle.train import TrainConfig, saved_config

    assert TrainConfig(task="digits", precision="fixed").optimizer == "sgd"
    assert TrainConfig(task="digits").optimizer == "adam"
    with pytest.raises(ValueError, match="optimizer='adam' applies to the float rules"):
        TrainConfig(task="digits", precision="fixed", optimizer="adam")
    # a checkpoint written before: its fixed-point run said "adam" and ran SGD
    old = {**vars(TrainConfig(task="digits", precision="fixed")), "optimizer": "adam"}
    assert TrainConfig(**saved_config(old)).optimizer == "sgd"
