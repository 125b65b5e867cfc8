"""The compiled kernels compute bit for bit what the numpy forms they stand in for compute."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lava_vle import kernels
from lava_vle.arithmetic import FloatArithmetic, bias_delta
from lava_vle.optim import Adam

pytestmark = pytest.mark.skipif(not kernels.ENABLED, reason="numba not installed or disabled")

DTYPES = [np.float32, np.float64]
shapes = st.sampled_from([(5,), (3, 4), (7, 10, 53), (2, 1, 3)])


def numpy_only(monkeypatch):
    """The numpy forms: what runs without numba."""
    monkeypatch.setattr(kernels, "ENABLED", False)


def bits(x: np.ndarray) -> np.ndarray:
    return x.view(np.int32 if x.dtype == np.float32 else np.int64)


def arrays(seed: int, shape: tuple, dtype, n: int) -> list:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype) for _ in range(n)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 16), shape=shapes, dtype=st.sampled_from(DTYPES))
def test_relax_two_kernel_equals_numpy_form_bit_for_bit(seed, shape, dtype):
    x, target, k_a, k_b = arrays(seed, shape, dtype, 4)
    fused = [np.empty_like(x), np.empty_like(x)]
    assert kernels.relax_two_into(x, target, k_a, k_b, *fused)
    kernels.ENABLED = False
    try:
        plain = FloatArithmetic.relax_two(x, target, k_a, k_b, out=(np.empty_like(x), np.empty_like(x)))
    finally:
        kernels.ENABLED = True
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(bits(a), bits(b))


def test_relax_two_kernel_may_write_over_its_target():
    """error_dendrite writes ``e_inst`` into out[0] and relaxes toward it in place."""
    x, target, k_a, k_b = arrays(1, (4, 6), np.float32, 4)
    expected = FloatArithmetic.relax_two(x, target, k_a, k_b)
    a, b = target.copy(), np.empty_like(x)
    assert kernels.relax_two_into(x, a, k_a, k_b, a, b)
    np.testing.assert_array_equal(a, expected[0])
    np.testing.assert_array_equal(b, expected[1])


@pytest.mark.parametrize("case", ["broadcast", "mixed dtype", "strided", "integer", "torch-like"])
def test_kernels_decline_arrays_they_do_not_take_and_write_nothing(case):
    x, target, k_a, k_b, a, b = arrays(2, (3, 4), np.float32, 6)
    if case == "broadcast":
        k_a = k_a[:1]
    elif case == "mixed dtype":
        k_b = k_b.astype(np.float64)
    elif case == "strided":
        target = np.ascontiguousarray(target.T).T
    elif case == "integer":
        x, target, k_a, k_b, a, b = (v.astype(np.int64) for v in (x, target, k_a, k_b, a, b))
    else:
        x = x.tolist()
    before = a.copy()
    assert not kernels.relax_two_into(x, target, k_a, k_b, a, b)
    np.testing.assert_array_equal(a, before)
    assert kernels.sum_rows(np.zeros((0, 3), np.float32)) is None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 16), shape=st.sampled_from([(1, 3), (100, 53), (7, 100, 53)]),
       dtype=st.sampled_from(DTYPES))
def test_batch_sum_kernel_adds_rows_in_numpys_order(seed, shape, dtype):
    (trace,) = arrays(seed, shape, dtype, 1)
    trace *= 10.0 ** np.random.default_rng(seed).integers(-6, 6, size=shape)  # rounding matters
    np.testing.assert_array_equal(bits(bias_delta(trace)), bits(trace.sum(axis=-2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_kernel_equals_numpy_adam_over_50_steps(dtype, monkeypatch):
    params = arrays(3, (7, 10, 11), dtype, 1) + arrays(4, (7, 1, 10), dtype, 1)
    grads = [arrays(5 + t, p.shape, dtype, 1)[0] for t in range(50) for p in params]
    fused, plain = [p.copy() for p in params], [p.copy() for p in params]
    opt_fused, opt_plain = Adam(fused, lr=3e-3), Adam(plain, lr=3e-3)
    for t in range(50):
        step_grads = grads[2 * t: 2 * t + 2]
        opt_fused.step(step_grads)
        monkeypatch.setattr(kernels, "ENABLED", False)
        opt_plain.step(step_grads)
        monkeypatch.setattr(kernels, "ENABLED", True)
    for a, b in zip(fused + opt_fused.m + opt_fused.v, plain + opt_plain.m + opt_plain.v):
        np.testing.assert_array_equal(bits(a), bits(b))
    assert not np.array_equal(fused[0], params[0])


def test_per_step_recipe_trains_to_the_same_bits_with_and_without_kernels(monkeypatch):
    """One MNIST-1D-shaped batch of the per-step recipe (Adam every step,
    carried state) through the real trainer."""
    from lava_vle.experiments.benchmarks.train_speed import trainer_for

    def trained():
        trainer = trainer_for("vle", 40, 8, 1, update_interval=1, carry_state=True)
        x, y = trainer.sequences("train", next(iter(trainer.batches(0))))
        outputs = trainer.rule.batch(x, y)
        return [outputs] + [a.copy() for a in trainer.rule.params.arrays()]

    fused = trained()
    numpy_only(monkeypatch)
    plain = trained()
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(a, b)
