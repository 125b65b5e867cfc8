"""The integer layer stacks step a chain bit for bit as the per-population simulator."""
import numpy as np
import pytest

from lava_vle.stacked_fixed import LAYER_STATE, WITH_INPUT, FixedChain, stackable
from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.plasticity import LocalRule
from lava_vle.simulator import Simulator, synapses_of


def chain_spec(feedback="mirrored", gamma=0.0, spiking=False, sigma_delta=0.0,
               learning_epoch=1, loss="mse"):
    """Three layers of unequal widths (padding), per-neuron tau_r, three activations."""
    return NetworkSpec(
        n_in=2,
        layers=(LayerSpec(5, tau_m=1.0, tau_r=[1.0, 1.0, 0.5, 1.0, 0.8], activation="hard_tanh",
                          spiking=spiking, sigma_delta=sigma_delta,
                          error_sigma_delta=sigma_delta / 10),
                LayerSpec(4, tau_m=0.8, tau_r=0.4, activation="relu", spiking=spiking),
                LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")),
        dt=0.1, gamma=gamma, feedback=feedback, learning_epoch=learning_epoch, loss=loss)


def flat(values):
    """Per-population (batch of one) or per-projection arrays as one flat
    vector, the fused Vars' layout."""
    return np.concatenate([np.ravel(v) for v in values])


@pytest.mark.parametrize("spec", [chain_spec(), chain_spec(feedback="random", gamma=0.5),
                                  chain_spec(spiking=True),
                                  chain_spec(sigma_delta=0.02, learning_epoch=4),
                                  chain_spec(loss="ce")],
                         ids=["mirrored", "random-feedback-nudged", "spiking",
                              "sigma-delta-learning-epoch-4", "cross-entropy"])
def test_fixed_chain_equals_the_simulator_bit_for_bit_while_it_learns(spec):
    steps, seed = 80, 5
    sim = Simulator(spec, init_params(spec, seed=2), "fixed", seed=seed)
    chain = FixedChain(spec, sim.params, seed)
    A, rule = sim.arith, LocalRule(0.05, sim.arith, spec.learning_epoch)
    scale = sim.dynamics.loss_scale(np.ones(1))[:, None]
    modulator = A.modulator(np.array([0.75]))
    rng = np.random.default_rng(0)
    x = A.to_units(rng.uniform(-1, 1, (steps, 1, spec.n_in)))
    y = A.to_units(rng.uniform(-1, 1, (steps, 1, spec.n_out)))
    state = sim.initial_state(1)
    for t in range(steps):
        state = sim.step(state, synapses_of(spec, sim.params), x[t], y[t], scale, modulator,
                         rule, t + 1)
        chain.step(y[t], scale, x[t], modulator, rule, t + 1)
        for name in LAYER_STATE + WITH_INPUT:
            got = np.zeros(sum(spec.sizes[name not in WITH_INPUT:]), np.int64)
            chain.store(name, got)
            assert np.array_equal(got, flat(getattr(state, name))), f"{name} at step {t + 1}"
        got = np.zeros(spec.n_out, np.int64)
        chain.store("e_target", got)
        assert np.array_equal(got, state.e_target[0]), f"e_target at step {t + 1}"
    for name, want in (("weight_acc", sim.params.weight_acc), ("bias_acc", sim.params.bias_acc)):
        got = np.zeros(sum(a.size for a in want), np.int64)
        chain.store(name, got)
        assert np.array_equal(got, flat(want)), name
    initial = Simulator(spec, init_params(spec, seed=2), "fixed").params.weight_acc
    assert not np.array_equal(flat(initial), flat(sim.params.weight_acc)), "nothing learned"


def test_stackable_accepts_chains_of_even_enough_widths_only():
    chain = chain_spec()
    recurrent = NetworkSpec(n_in=2, layers=(LayerSpec(3, recurrent=True), LayerSpec(2)))
    wide_input = NetworkSpec(n_in=100, layers=(LayerSpec(4), LayerSpec(2)))  # 41x padding
    assert stackable(chain) and not stackable(recurrent) and not stackable(wide_input)
    with pytest.raises(ValueError, match="chains only"):
        FixedChain(recurrent, Simulator(recurrent, init_params(recurrent), "fixed").params, 0)


def test_load_then_store_returns_every_var_unchanged():
    spec = chain_spec()
    chain = FixedChain(spec, Simulator(spec, init_params(spec), "fixed").params, 0)
    sizes = {"weight_acc": sum(p * q for p, q in zip(spec.sizes[1:], spec.sizes)),
             "bias_acc": sum(spec.sizes[1:]), "e_target": spec.n_out}
    sizes.update({name: sum(spec.sizes[1:]) for name in LAYER_STATE})
    sizes.update({name: sum(spec.sizes) for name in WITH_INPUT})
    rng = np.random.default_rng(1)
    for name, size in sizes.items():
        values = rng.integers(-1000, 1000, size)
        chain.load(name, values)
        got = np.zeros(size, np.int64)
        chain.store(name, got)
        assert np.array_equal(got, values), name


@pytest.mark.parametrize("spec", [chain_spec(feedback="random", gamma=0.5),
                                  chain_spec(spiking=True, learning_epoch=3, loss="ce")],
                         ids=["random-feedback-nudged", "spiking-learning-epoch-3-ce"])
def test_simulator_run_of_a_fixed_chain_equals_its_per_population_steps(spec):
    """Simulator.run steps a fixed-point chain's layers at once: over a
    batch of 3 (per-sample modulator and loss weight) its outputs, final
    state and learned accumulators equal Simulator.step population by
    population."""
    steps, batch, seed = 50, 3, 4
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (steps, batch, spec.n_in))
    y = rng.uniform(-1, 1, (steps, batch, spec.n_out))
    modulator = rng.uniform(0, 1, (steps, batch))
    weight = rng.uniform(0, 2, (steps, batch))
    params = init_params(spec, seed=1)
    sim = Simulator(spec, params, "fixed", seed=seed)
    result = sim.run(x, y, loss_weight=weight, modulator=modulator, plasticity="apply",
                     eta=0.05, first_step=7)
    ref = Simulator(spec, params, "fixed", seed=seed)
    A, rule = ref.arith, LocalRule(0.05, ref.arith, spec.learning_epoch)
    scales, m = ref.dynamics.loss_scale(weight), A.modulator(modulator)
    state, outputs = ref.initial_state(batch), []
    for t in range(steps):
        state = ref.step(state, synapses_of(spec, ref.params), A.to_units(x[t]),
                         A.to_units(y[t]), scales[t][:, None], m[t], rule, 7 + t)
        outputs.append(A.from_units(state.rates[-1]))
    assert np.array_equal(result.outputs, np.stack(outputs))
    for name in ("u", "v", "u_breve", "e_breve", "phi_prime", "rates", "spike_acc",
                 "pre_trace", "post_trace"):
        for got, want in zip(getattr(result.state, name), getattr(state, name)):
            assert np.array_equal(got, want), name
    assert np.array_equal(result.state.e_target, state.e_target)
    for got, want in zip(sim.params.weight_acc + sim.params.bias_acc,
                         ref.params.weight_acc + ref.params.bias_acc):
        assert np.array_equal(got, want)


def test_a_chain_refuses_parameters_that_mix_mirrored_and_random_error_paths():
    spec = chain_spec(feedback="random")
    params = Simulator(spec, init_params(spec), "fixed").params
    params.feedback_mant[1] = None  # projection 1 mirrored, projection 2 random
    with pytest.raises(ValueError, match="mix"):
        FixedChain(spec, params, 0)


def test_the_simulator_says_which_engine_ran_and_runs_the_reference_path_when_asked():
    spec = chain_spec()
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (30, 3, spec.n_in))
    y = rng.uniform(-1, 1, (30, 3, spec.n_out))
    results = {}
    for engine in ("auto", "population"):
        sim = Simulator(spec, init_params(spec, seed=2), "fixed", seed=4, engine=engine)
        results[engine] = sim.run(x, y, plasticity="apply", eta=0.05)
    assert results["auto"].engine == "chain" and results["population"].engine == "population"
    assert np.array_equal(results["auto"].outputs, results["population"].outputs)
    floating = Simulator(spec, init_params(spec, seed=2)).run(x)
    assert floating.engine == "population"
    with pytest.raises(ValueError, match="engine='fast' must be one of"):
        Simulator(spec, init_params(spec), engine="fast")


def test_a_state_of_another_precision_or_network_is_refused_by_name():
    spec = chain_spec()
    x = np.random.default_rng(0).uniform(-1, 1, (5, 2, spec.n_in))
    fixed = Simulator(spec, init_params(spec), "fixed", engine="population").run(x).state
    floating = Simulator(spec, init_params(spec)).run(x).state
    with pytest.raises(ValueError, match=r"state is a fixed-point state \(Q7.16 integers\), "
                                         "this Simulator runs in float"):
        Simulator(spec, init_params(spec)).run(x, state=fixed)
    with pytest.raises(ValueError, match="state is a float state, this Simulator runs in "
                                         "fixed point"):
        Simulator(spec, init_params(spec), "fixed").run(x, state=floating)
    other = NetworkSpec(n_in=2, dt=0.1, layers=(LayerSpec(3, 1.0, 1.0),
                                               LayerSpec(2, 0.5, 0.5, "linear")))
    with pytest.raises(ValueError, match=r"populations \(5, 4, 2\), this one has \(3, 2\)"):
        Simulator(other, init_params(other)).run(x, state=floating)
