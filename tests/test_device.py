"""The fused trainer on torch tensors (``device``) runs the numpy trainer's step code."""
import numpy as np
import pytest

from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.learners import BPTT, VLELocal, check_device
from lava_vle.train import TrainConfig


def spec_of(recurrent_error="none"):
    return NetworkSpec(
        n_in=2, dt=0.1, loss="ce", recurrent_error=recurrent_error,
        layers=(LayerSpec(6, 1.0, 0.5, "linear"),
                LayerSpec(5, 1.0, [0.1, 0.2, 0.5, 1.0, 0.3], "tanh",
                          recurrent=recurrent_error != "none"),
                LayerSpec(3, 0.2, 0.2, "linear")))


def batches(n=3, steps=40, batch=4):
    rng = np.random.default_rng(0)
    for _ in range(n):
        x = rng.normal(size=(steps, batch, 2)).astype(np.float32)
        yield x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=(steps, batch))]


@pytest.mark.parametrize("recurrent_error", ["none", "stable", "eprop", "eprop-all"])
def test_vle_trainer_on_torch_cpu_tensors_equals_the_numpy_trainer_over_three_batches(
        recurrent_error):
    spec = spec_of(recurrent_error)
    init = init_params(spec, seed=1)
    rules = [VLELocal(spec, init, np.ones(40), lr=3e-3, update_interval=5, carry_state=True,
                      device=device) for device in (None, "cpu")]
    for x, y in batches():
        numpy_out, torch_out = (rule.batch(x, y) for rule in rules)
        assert isinstance(torch_out, np.ndarray)
        np.testing.assert_allclose(torch_out, numpy_out, rtol=1e-4, atol=1e-5)
    learned = [rule.float_params().weights for rule in rules]
    for k, (a, b) in enumerate(zip(*learned)):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
        assert not np.allclose(a, init.weights[k], atol=1e-4)  # both learned
    state = rules[1].state_dict()  # checkpoints hold numpy arrays only
    assert all(isinstance(a, np.ndarray) for a in state["params"] + state["optimizer"]["m"])
    assert all(v is None or isinstance(v, np.ndarray) for v in state["carried"].values())


def test_bptt_on_an_explicit_torch_device_equals_the_default():
    spec = spec_of()
    init = init_params(spec, seed=1)
    rules = [BPTT(spec, init, np.ones(40), lr=3e-3, device=device) for device in (None, "cpu")]
    for x, y in batches(2):
        outputs = [rule.batch(x, y) for rule in rules]
        np.testing.assert_array_equal(outputs[0], outputs[1])


def test_device_errors_name_the_device_and_what_to_do():
    with pytest.raises(ValueError, match="'gpu7' is not a torch device"):
        check_device("gpu7")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device.*leave device unset"):
            check_device("cuda")
    with pytest.raises(ValueError, match="device='cpu' applies to rule='vle' or 'bptt' in float"):
        TrainConfig(task="digits", precision="fixed", device="cpu")


def test_vle_on_a_torch_device_with_carried_state_resumes_to_the_same_weights(tmp_path):
    """Checkpoints of a torch-device run hold numpy arrays (the carried state
    too) and load back onto the device: 1 + 1 epochs equal 2 epochs."""
    from lava_vle.checkpoints import read_checkpoint
    from lava_vle.datasets import load_dataset
    from lava_vle.train import Trainer

    digits = load_dataset("digits")
    config = TrainConfig(task="digits", epochs=2, batch_size=64, lr=3e-3, limit_train=192,
                         limit_test=64, carry_state=True, update_interval=4, device="cpu")
    straight = Trainer(digits, config)
    for _ in range(2):
        straight.train_epoch(progress=False)
    first = Trainer(digits, config)
    first.train_epoch(progress=False)
    first.save_checkpoint(tmp_path)
    resumed = Trainer(digits, config)
    resumed.load_state_dict(read_checkpoint(tmp_path))
    resumed.train_epoch(progress=False)
    for a, b in zip(straight.rule.params.arrays(), resumed.rule.params.arrays()):
        assert np.array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(first.rule.params.W.numpy(), resumed.rule.params.W.numpy())
