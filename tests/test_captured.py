"""Captured windows (``capture``): VLE's compiled calls of whole update windows
equal the numpy trainer, BPTT's compiled windows its eager ones, and both
refuse what they cannot run."""
import numpy as np
import pytest

from lava_vle.captured import window_bounds
from lava_vle.learners import BPTT, VLELocal, make_rule
from lava_vle.spec import init_params
from lava_vle.train import TrainConfig
from tests.test_device import batches, spec_of

pytest.importorskip("torch")


@pytest.mark.parametrize("recurrent_error, options", [
    ("none", dict(error_weights="forward", input_timing="current", settle_steps=2)),
    ("eprop", {}),
])
def test_captured_windows_equal_the_numpy_trainer_over_two_batches(recurrent_error, options):
    spec = spec_of(recurrent_error)
    init = init_params(spec, seed=1)
    # 8 steps (10 with settle steps) in windows of 2, two windows per call:
    # a full call and a shorter last one
    rules = [VLELocal(spec, init, np.ones(8), lr=3e-3, update_interval=2, carry_state=True,
                      device=device, capture=capture, **options)
             for device, capture in ((None, 0), ("cpu", 2))]
    for x, y in batches(2, steps=8):
        numpy_out, captured_out = (rule.batch(x, y) for rule in rules)
        assert isinstance(captured_out, np.ndarray) and captured_out.shape == numpy_out.shape
        np.testing.assert_allclose(captured_out, numpy_out, rtol=1e-4, atol=1e-5)
    numpy_rule, captured_rule = rules
    assert captured_rule.optimizer.t == numpy_rule.optimizer.t
    assert captured_rule.steps_done == numpy_rule.steps_done
    for k, (a, b) in enumerate(zip(numpy_rule.float_params().weights,
                                   captured_rule.float_params().weights)):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
        assert not np.allclose(a, init.weights[k], atol=1e-4)  # both learned
    if options.get("error_weights") == "forward":  # the error path's copy, one update behind
        np.testing.assert_allclose(captured_rule.params.B.numpy(), numpy_rule.params.B,
                                   rtol=1e-4, atol=1e-5)
        assert captured_rule.feedback_stale == numpy_rule.feedback_stale


def test_captured_bptt_windows_equal_the_eager_ones():
    spec = spec_of("stable")
    init = init_params(spec, seed=1)
    rules = [BPTT(spec, init, np.ones(8), lr=3e-3, update_interval=4, capture=capture)
             for capture in (0, 1)]
    for x, y in batches(2, steps=8):
        eager, captured = (rule.batch(x, y) for rule in rules)
        np.testing.assert_allclose(captured, eager, rtol=1e-4, atol=1e-5)
    for a, b in zip(*(rule.float_params().weights for rule in rules)):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_window_bounds_close_every_window_and_the_sequence_end():
    calls = window_bounds(10, 3, 2)
    assert calls == [(0, 6, ((0, 3), (3, 6))), (6, 10, ((0, 3), (3, 4)))]
    assert window_bounds(4, 1, 4) == [(0, 4, ((0, 1), (1, 2), (2, 3), (3, 4)))]
    assert window_bounds(5, 50, 3) == [(0, 5, ((0, 5),))]


def test_capture_refuses_what_it_cannot_run():
    spec = spec_of()
    init = init_params(spec, seed=1)
    with pytest.raises(ValueError, match="needs a torch device"):
        VLELocal(spec, init, np.ones(8), lr=1e-3, capture=2)
    with pytest.raises(ValueError, match="Adam without clipping"):
        VLELocal(spec, init, np.ones(8), lr=1e-3, device="cpu", capture=2, clip=1.0)
    with pytest.raises(ValueError, match="Adam without clipping"):
        VLELocal(spec, init, np.ones(8), lr=1e-3, optimizer="sgd", device="cpu", capture=2)
    with pytest.raises(ValueError, match="integer >= 0"):
        VLELocal(spec, init, np.ones(8), lr=1e-3, device="cpu", capture=True)
    with pytest.raises(ValueError, match="applies to rule='vle' and 'bptt'"):
        make_rule("exact", "float", spec, init, np.ones(8), 1e-3, device="cpu", capture=2)
    with pytest.raises(ValueError, match="needs a torch device"):
        TrainConfig(task="delayed-xor", capture=2)
    assert TrainConfig(task="delayed-xor", rule="bptt", capture=1).capture == 1  # torch's CPU
    with pytest.raises(ValueError, match="integer >= 0"):
        TrainConfig(task="delayed-xor", device="cpu", capture=-1)
    with pytest.raises(ValueError, match="learning_epoch=2 needs capture=0"):
        TrainConfig(task="delayed-xor", device="cpu", capture=2, learning_epoch=2)


@pytest.mark.parametrize("error_weights", ["updated", "forward"])
def test_a_captured_call_is_one_graph_with_no_host_synchronisation(error_weights):
    """A graph break would return to Python (and, on a GPU, wait for the device)."""
    import torch._dynamo

    spec = spec_of("eprop")
    rule = VLELocal(spec, init_params(spec, seed=1), np.ones(8), lr=3e-3, update_interval=2,
                    carry_state=True, device="cpu", capture=2, error_weights=error_weights)
    x, y = next(batches(1, steps=4))
    state, _ = rule.start(x)
    net = rule.net
    scalars = net.as_array(np.array([rule.optimizer.next_scalars() for _ in range(2)]))
    explained = torch._dynamo.explain(rule.captured._windows)(
        rule.learning(state.u.shape), state, net.pad_input(net.as_array(x[0])),
        net.as_array(x), net.as_array(y), net.loss_scales(np.ones(4)), ((0, 2), (2, 4)),
        scalars[:, 0], scalars[:, 1], True, x.shape[1])
    assert explained.graph_break_count == 0 and explained.graph_count == 1
