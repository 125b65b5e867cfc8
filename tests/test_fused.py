"""The fused stacked simulator computes exactly what the reference simulator does."""
import numpy as np
import pytest

from lava_vle.fused import StackedNetwork
from lava_vle.network import LayerSpec, NetworkSpec, init_params
from lava_vle.simulator import Simulator


def run_fused(spec, params, x, y):
    """Outputs and accumulated local updates (forward projections) of the fused path."""
    net = StackedNetwork(spec, np.float64)
    p = net.pack(params)
    steps, batch = x.shape[:2]
    state, xp = net.initial_state(batch), net.pad_input(x)
    prev, d_weights, outputs = np.zeros_like(xp[0]), np.zeros_like(p.W), []
    for t in range(steps):
        state, rates_pre = net.step(state, p, prev)
        prev = xp[t]
        state = net.output_error(state, y[t], np.ones((batch, 1)))
        d_weights += state.e_breve.swapaxes(1, 2) @ rates_pre
        outputs.append(net.outputs(state))
    return np.stack(outputs), d_weights, net, p


@pytest.mark.parametrize("recurrent,spiking,sigma_delta",
                         [(False, False, 0.0), (True, False, 0.0), (True, True, 0.0),
                          (True, False, 0.05)],
                         ids=["feedforward", "recurrent", "recurrent-spiking", "sigma-delta"])
@pytest.mark.parametrize("feedback", ["mirrored", "random"])
def test_fused_step_equals_reference_simulator_over_50_steps(recurrent, spiking, sigma_delta,
                                                             feedback):
    spec = NetworkSpec(
        n_in=3, dt=0.1, loss="ce", gamma=0.1, feedback=feedback,
        layers=(LayerSpec(6, 1.0, [1, 1, 0.5, 1, 0.3, 1.0], "tanh", recurrent=recurrent,
                          spiking=spiking, sigma_delta=sigma_delta,
                          error_sigma_delta=sigma_delta / 10),
                LayerSpec(5, 0.8, 0.8, "hard_tanh", recurrent=recurrent, spiking=spiking,
                          sigma_delta=sigma_delta),
                LayerSpec(2, 0.5, 0.5, "linear")))
    params = init_params(spec, seed=2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4, 3))
    y = np.eye(2)[rng.integers(0, 2, size=(50, 4))]
    reference = Simulator(spec, params).run(x, y, plasticity="accumulate", eta=1.0)
    outputs, d_weights, net, p = run_fused(spec, params, x, y)
    np.testing.assert_allclose(outputs, reference.outputs, rtol=0, atol=1e-12)
    forward = [k for k, proj in enumerate(spec.projections) if proj.pre == proj.post - 1]
    for layer, k in enumerate(forward):
        rows, cols = reference.updates[0][k].shape
        np.testing.assert_allclose(d_weights[layer, :rows, :cols], reference.updates[0][k],
                                   rtol=0, atol=1e-12)
    assert np.all(d_weights[0, :, 3:] == 0) and np.all(d_weights[-1, 2:] == 0)  # padding
    back = net.unpack(p, params)
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, params.weights))
