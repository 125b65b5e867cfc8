"""The hybrid rule, a causal test of where the local rule loses: BPTT's
gradient for the lowest populations, the local rule above, at one cadence."""
import numpy as np
import pytest

from lava_vle.datasets import digits
from lava_vle.train import Trainer, TrainConfig

DIGITS = digits()
BASE = dict(task="digits", epochs=1, batch_size=8, lr=0.1, optimizer="sgd",
            update_interval=4, limit_train=8, limit_test=8)


def first_window_update(rule: str, **extra) -> list[np.ndarray]:
    trainer = Trainer(DIGITS, TrainConfig(rule=rule, **BASE, **extra))
    x, y = trainer.sequences("train", np.arange(8))
    before = [a.copy() for a in trainer.rule.params.arrays()]
    trainer.rule.batch(x[:4], y[:4])
    return [a - b for a, b in zip(trainer.rule.params.arrays(), before)]


def test_hybrid_takes_bptts_gradient_below_and_the_local_rule_above():
    pytest.importorskip("torch")
    local, bptt = first_window_update("vle"), first_window_update("bptt")
    hybrid = first_window_update("hybrid", bptt_layers=1)
    for mine, theirs, vle in zip(hybrid, bptt, local):
        np.testing.assert_allclose(mine[:1], theirs[:1], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(mine[1:], vle[1:], rtol=1e-4, atol=1e-7)
    assert not np.allclose(local[0][:1], bptt[0][:1], rtol=1e-2)  # the two differ there


def test_hybrid_refuses_a_split_outside_the_network_by_name():
    with pytest.raises(ValueError, match="bptt_layers=2 must be an integer from 1 to 1"):
        Trainer(DIGITS, TrainConfig(rule="hybrid", bptt_layers=2, **BASE))
    with pytest.raises(ValueError, match="bptt_layers=2 applies to rule='hybrid' only"):
        TrainConfig(rule="vle", bptt_layers=2, **BASE)


def test_hybrid_with_settle_steps_and_eprop_trains_a_recurrent_network():
    pytest.importorskip("torch")
    from lava_vle.datasets import load_dataset

    pattern = load_dataset("pattern")
    config = TrainConfig(task="pattern", rule="hybrid", bptt_layers=1, epochs=1, lr=1e-3,
                         update_interval=25, settle_steps=3, recurrent_error="eprop")
    trainer = Trainer(pattern, config)
    before = [a.copy() for a in trainer.rule.params.arrays()]
    row = trainer.train_epoch(progress=False)
    assert np.isfinite(row["train_loss"])
    assert all(not np.array_equal(a, b) for a, b in zip(trainer.rule.params.arrays(), before))
