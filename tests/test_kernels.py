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


# --- integer kernels: exact, so equal to the numpy forms of lava_vle.fixed_point ----------
def numpy_form(fn, *args):
    kernels.ENABLED = False
    try:
        return fn(*args)
    finally:
        kernels.ENABLED = True


def ints(rng, bits: int, shape: tuple) -> np.ndarray:
    a = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=shape)
    a.reshape(-1)[0] = -(2 ** (bits - 1))  # the edge value
    return a


@settings(max_examples=40)
@given(seed=st.integers(0, 2 ** 16), stack=st.sampled_from([(), (1,), (7,)]),
       m=st.integers(1, 6), k=st.integers(1, 60), n=st.integers(1, 55),
       bits_a=st.integers(2, 24), bits_b=st.integers(2, 31), transposed=st.booleans())
def test_int_matmul_kernel_equals_the_float64_blas_form(seed, stack, m, k, n, bits_a, bits_b,
                                                        transposed):
    """Up to 2**61 per sum (the BLAS form splits beyond 2**53), ``b`` also as
    a transposed view (the error path's ``W^T``)."""
    from lava_vle import fixed_point as fxp

    rng = np.random.default_rng(seed)
    a = ints(rng, bits_a, stack + (m, k))
    b = ints(rng, bits_b, stack + ((n, k) if transposed else (k, n)))
    b = b.swapaxes(-1, -2) if transposed else b
    assert kernels.int_matmul(a, b) is not None
    np.testing.assert_array_equal(fxp.int_matmul(a, b), numpy_form(fxp.int_matmul, a, b))


@settings(max_examples=40)
@given(seed=st.integers(0, 2 ** 16), shape=st.sampled_from([(5,), (7, 1, 53), (3, 4, 6)]),
       n_factors=st.integers(1, 3))
def test_relax_toward_kernel_equals_numpy_form_with_saturation(seed, shape, n_factors):
    from lava_vle import fixed_point as fxp

    rng = np.random.default_rng(seed)
    x, target = ints(rng, 24, shape), ints(rng, 24, shape)
    target.reshape(-1)[-1] = 2 ** 23 - 1  # target - x beyond 24 bits: saturates
    factors = [rng.integers(0, fxp.DECAY_UNITY + 1, size=shape) for _ in range(n_factors)]
    got = fxp.relax_toward(x, target, *factors)
    want = numpy_form(fxp.relax_toward, x, target, *factors)
    for a, b in zip(got if n_factors > 1 else [got], want if n_factors > 1 else [want]):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40)
@given(seed=st.integers(0, 2 ** 16), layers=st.integers(1, 7), per_layer_shift=st.booleans(),
       step=st.integers(0, 2 ** 40))
def test_keyed_update_kernel_equals_numpy_form(seed, layers, per_layer_shift, step):
    """Shifts below 1, inside 1..32 and beyond 32 bits, one key per layer,
    accumulators saturating at 16 bits."""
    from lava_vle import fixed_point as fxp

    rng = np.random.default_rng(seed)
    acc, prod = ints(rng, 16, (layers, 5, 6)), ints(rng, 50, (layers, 5, 6))
    index = rng.integers(0, 2 ** 34, size=acc.shape)  # beyond 32 bits: taken modulo 2**32
    shift = (rng.integers(-3, 45, size=(layers, 1, 1)) if per_layer_shift
             else int(rng.integers(-3, 45)))
    keys = np.array([fxp.hash_key(seed + l, step) for l in range(layers)],
                    np.uint64)[:, None, None]
    args = (acc, prod, shift, keys, index)
    assert kernels.keyed_update(*args, -2 ** 15, 2 ** 15 - 1, fxp.STOCHASTIC_BITS) is not None
    np.testing.assert_array_equal(fxp.keyed_update(*args), numpy_form(fxp.keyed_update, *args))


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 16), bits=st.integers(2, 40), shape=shapes)
def test_saturate_kernel_equals_numpy_form(seed, bits, shape):
    from lava_vle import fixed_point as fxp

    x = ints(np.random.default_rng(seed), 42, shape)
    np.testing.assert_array_equal(fxp.saturate(x, bits), numpy_form(fxp.saturate, x, bits))


def test_integer_kernels_decline_what_they_do_not_take():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert kernels.int_matmul(a.astype(np.int32), a.T) is None  # dtype
    assert kernels.int_matmul(a, a) is None  # shapes
    assert kernels.int_matmul(np.zeros((600, 600), np.int64), np.zeros((600, 600), np.int64)) is None
    big = np.full((2, 2), 2 ** 40, np.int64)  # partial sums beyond int64's safe bound
    assert kernels.int_matmul(big, big) is None
    assert kernels.relax_toward(a, a[:, :1], (a,), -8, 7, 12) is None  # broadcast target
    assert kernels.saturate(a.T, -8, 7) is None and kernels.saturate(3, -8, 7) is None
    assert kernels.keyed_update(a, a, np.zeros((3, 1)), 1, a, -8, 7, 32) is None  # 3 shifts, 2 rows
