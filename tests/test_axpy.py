"""`nn.optim.axpy`: the fused ``y += alpha * x`` that SGD's update uses, and its NumPy fallback."""
import gc
import glob
import os
import tracemalloc

import numpy as np
import pytest

from autodiff import Tensor
from nn.optim import SGD, RMSprop
from nn.optim import axpy as axpy_module
from nn.optim.axpy import MIN_SIZE, axpy

FLOATS = [np.float32, np.float64]


def _wheel_bundles_openblas():
    return any(glob.glob(os.path.join(d, "*openblas64*"))
               for d in axpy_module._wheel_library_dirs())


def _assert_close_to_numpy(result, y0, alpha, x):
    """Within 2 units in the last place of the larger operand (BLAS may fuse the rounding)."""
    dtype = y0.dtype
    expected = y0 + dtype.type(alpha) * x
    scale = np.spacing(np.maximum(np.abs(y0), np.abs(dtype.type(alpha) * x)).astype(dtype))
    assert result.dtype == dtype
    assert np.all(np.abs(result - expected) <= 2 * scale)


class _Path:
    """Which way `axpy` runs in a test, and how many BLAS calls it made (0 on the NumPy path)."""

    def __init__(self, name):
        self.name, self.calls = name, 0

    def spy(self, routine):
        """``routine``, counting its calls."""
        def counted(*args):
            self.calls += 1
            return routine(*args)
        return counted


@pytest.fixture(params=["fused", "numpy"])
def path(request, monkeypatch):
    """Run a test through the BLAS routine (where NumPy bundles one) and through NumPy alone."""
    path = _Path(request.param)
    if request.param == "numpy":
        monkeypatch.setattr(axpy_module, "_AXPY", {})
    elif not axpy_module.FUSED_DTYPES:
        pytest.skip("this NumPy bundles no OpenBLAS: only the NumPy path exists here")
    else:
        spied = {dtype: path.spy(routine) for dtype, routine in axpy_module._AXPY.items()}
        monkeypatch.setattr(axpy_module, "_AXPY", spied)
    return path


def test_numpy_wheels_bundle_the_blas_routine_and_axpy_finds_it():
    if not _wheel_bundles_openblas():
        pytest.skip("this NumPy was not installed from a wheel that bundles OpenBLAS")
    assert set(axpy_module.FUSED_DTYPES) == {np.dtype(np.float32), np.dtype(np.float64)}


def test_the_routine_comes_from_the_library_numpy_loaded_so_thread_limits_apply():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not axpy_module.FUSED_DTYPES:
        pytest.skip("no bundled OpenBLAS here")
    wheel_dirs = {os.path.realpath(d) for d in axpy_module._wheel_library_dirs()}
    ours = [info for info in threadpoolctl.threadpool_info()
            if os.path.dirname(os.path.realpath(info["filepath"])) in wheel_dirs]
    assert len(ours) == 1
    with threadpoolctl.threadpool_limits(1):
        assert threadpoolctl.threadpool_info()[0]["num_threads"] == 1


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size", [MIN_SIZE - 1, MIN_SIZE, 3 * MIN_SIZE + 5])
def test_axpy_adds_the_scaled_array_in_place(path, dtype, size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size).astype(dtype)
    y = rng.standard_normal(size).astype(dtype)
    y0, memory = y.copy(), y.ctypes.data
    assert axpy(-0.37, x, y) is None
    assert y.ctypes.data == memory
    _assert_close_to_numpy(y, y0, -0.37, x)
    assert not np.array_equal(y, y0)
    assert path.calls == (path.name == "fused" and size >= MIN_SIZE)


def test_fused_and_numpy_paths_agree_on_a_weight_matrix(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 784)).astype(np.float32)
    y = rng.standard_normal((256, 784)).astype(np.float32)
    fused = y.copy()
    axpy(np.float32(-0.01), x, fused)  # a NumPy scalar as alpha is accepted too
    monkeypatch.setattr(axpy_module, "_AXPY", {})
    plain = y.copy()
    axpy(-0.01, x, plain)
    np.testing.assert_array_equal(plain, y - np.float32(0.01) * x)
    _assert_close_to_numpy(fused, y, -0.01, x)


def test_inputs_blas_cannot_take_give_numpys_result(path):
    rng = np.random.default_rng(1)
    n = 2 * MIN_SIZE
    cases = {
        "transposed x": (rng.standard_normal((n // 128, 128)).T, np.ones((128, n // 128))),
        "float64 x into float32 y": (rng.standard_normal(n), np.ones(n, np.float32)),
        "broadcast row": (rng.standard_normal(128), np.ones((n // 128, 128))),
        "strided y": (rng.standard_normal(n), np.ones(2 * n)[::2]),
        "read-only x": (np.broadcast_to(rng.standard_normal(1), (n,)).copy(), np.ones(n)),
        "byte-swapped arrays": (rng.standard_normal(n).astype(">f8"), np.ones(n, ">f8")),
    }
    cases["read-only x"][0].flags.writeable = False
    for name, (x, y) in cases.items():
        expected = y + -0.5 * x
        axpy(-0.5, x, y)
        np.testing.assert_allclose(y, expected, rtol=1e-6, err_msg=name)
    assert path.calls == 0


def test_overlapping_arrays_read_x_before_any_write(path):
    buffer = np.arange(2 * MIN_SIZE + 1, dtype=np.float64)
    x, y = buffer[:-1], buffer[1:]
    expected = y + 2.0 * x
    axpy(2.0, x, y)
    np.testing.assert_array_equal(y, expected)
    assert path.calls == 0


def test_read_only_target_raises_as_numpy_does(path):
    y = np.ones(MIN_SIZE)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        axpy(1.0, np.ones(MIN_SIZE), y)


@pytest.mark.parametrize("kwargs", [{}, {"maximize": True}, {"momentum": 0.9, "nesterov": True},
                                    {"weight_decay": 0.1}])
def test_sgd_updates_large_parameters_by_the_rule(path, kwargs):
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((200, 100)).astype(np.float32)  # above MIN_SIZE elements
    g = rng.standard_normal((200, 100)).astype(np.float32)
    w = Tensor(w0.copy(), requires_grad=True)
    w.grad = Tensor(g.copy())
    SGD([w], lr=0.1, **kwargs).step()
    direction = -g if kwargs.get("maximize") else g + kwargs.get("weight_decay", 0) * w0
    if kwargs.get("nesterov"):
        direction = direction + 0.9 * direction  # first step: the buffer is the gradient
    np.testing.assert_allclose(w.data, w0 - 0.1 * direction, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(w.grad.data, g)  # the gradient is left to the user
    assert path.calls == (path.name == "fused")


def test_rmsprop_with_momentum_updates_large_parameters_by_the_rule(path):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((200, 100))
    g = rng.standard_normal((200, 100))
    w = Tensor(w0.copy(), requires_grad=True)
    w.grad = Tensor(g.copy())
    RMSprop([w], lr=0.01, alpha=0.9, eps=1e-8, momentum=0.5).step()
    buffer = g / (np.sqrt(0.1 * g * g) + 1e-8)  # first step: the buffer is the ratio
    np.testing.assert_allclose(w.data, w0 - 0.01 * buffer, rtol=1e-12, atol=1e-12)
    assert path.calls == (path.name == "fused")


def test_many_calls_on_ever_new_arrays_leave_no_memory_behind(path):
    def run(calls):
        for i in range(calls):
            size = MIN_SIZE * (1 + i % 5)
            axpy(-0.5, np.ones(size, np.float32), np.ones(size, np.float32))
    run(20)
    tracemalloc.start()
    try:
        run(10)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        run(5000)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < 1000, f"{growth} bytes still allocated after 5000 calls"
    assert path.calls == (5030 if path.name == "fused" else 0)
