"""detect_anomaly(): the first op making a NaN or inf raises, naming the op and the user's line."""
import threading
import warnings

import numpy as np
import pytest

from autodiff import Tensor, detect_anomaly
from autodiff.grad_mode import HOOKS, STATE


def test_forward_nan_from_log_of_a_negative_names_op_and_line():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    with pytest.raises(FloatingPointError) as info, np.errstate(invalid="ignore"):
        with detect_anomaly():
            y = x * 2
            z = y.log()  # the NaN comes from here
    message = str(info.value)
    assert message.startswith("Log produced NaN in forward")
    assert "test_anomaly.py:" in message and "z = y.log()  # the NaN comes from here" in message


def test_backward_inf_from_sqrt_at_zero_names_op_and_line():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # finite forward, infinite derivative at 0
        loss = y.sum()
        with pytest.raises(FloatingPointError) as info, np.errstate(divide="ignore"):
            loss.backward()
    message = str(info.value)
    assert message.startswith("Sqrt produced inf in backward, in the gradient of input 0")
    assert "y = x.sqrt()  # finite forward, infinite derivative at 0" in message


def test_only_the_first_op_is_blamed():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    with pytest.raises(FloatingPointError, match="^Sqrt produced NaN"), np.errstate(invalid="ignore"):
        with detect_anomaly():
            x.sqrt().exp().log()  # exp and log of NaN are not the first op


def test_off_again_after_the_block_and_nothing_recorded_outside():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    with detect_anomaly():
        inside = x * 2
    assert STATE.anomaly is False
    with np.errstate(invalid="ignore"):
        outside = x.log()  # no error outside the block
    assert np.isnan(outside.data).all()
    assert inside._ctx.site is not None and inside._ctx.site[0] == __file__
    assert outside._ctx.site is None


def test_off_again_after_an_error_and_nests():
    with pytest.raises(FloatingPointError), np.errstate(divide="ignore"):
        with detect_anomaly():
            Tensor(np.array([0.0]), requires_grad=True).log()
    assert STATE.anomaly is False
    with detect_anomaly():
        with detect_anomaly():
            pass
        assert STATE.anomaly is True
    assert STATE.anomaly is False


def test_anomaly_mode_in_one_thread_leaves_other_threads_unchecked():
    # Ops read a process-wide count of threads with hooks on before the thread-local switch.
    assert HOOKS.count == 0
    entered, done, seen = threading.Event(), threading.Event(), []

    def in_anomaly_mode():
        with detect_anomaly():
            seen.append(HOOKS.count)
            entered.set()
            done.wait(5)

    worker = threading.Thread(target=in_anomaly_mode)
    worker.start()
    entered.wait(5)
    with np.errstate(divide="ignore"):
        y = Tensor(np.array([0.0]), requires_grad=True).log()  # no error: not this thread
    done.set()
    worker.join()
    assert seen == [1] and HOOKS.count == 0
    assert np.isneginf(y.data).all() and y._ctx.site is None


def test_finite_computations_pass_unchanged():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    with detect_anomaly():
        (x.log() * x.sqrt()).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.sqrt([0.5, 2.0]) * (1 / np.array([0.5, 2.0]))
                               + np.log([0.5, 2.0]) / (2 * np.sqrt([0.5, 2.0])))


def test_anomaly_mode_reports_without_numpys_warning_and_restores_error_settings():
    x = Tensor([0.0, 1.0], requires_grad=True)
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would fail the test
        with pytest.raises(FloatingPointError, match="Sqrt produced inf in backward"):
            with detect_anomaly():
                x.sqrt().sum().backward()
    assert np.geterr() == before


def test_a_nan_made_from_masked_minus_inf_is_blamed_where_it_is_made():
    """Softmax of a row masked to -inf makes NaN; the -inf input excused it, and the loss two
    ops later was blamed in backward."""
    import autodiff as ad
    scores = Tensor(np.array([[0.5, 1.0], [2.0, 3.0]]), requires_grad=True)
    keep = np.array([[True, True], [False, False]])
    with pytest.raises(FloatingPointError, match=r"Softmax produced NaN in forward \(created at "
                                                 r"test_anomaly.py:\d+: p = masked.softmax"):
        with detect_anomaly():
            masked = ad.where(keep, scores, -np.inf)  # an inf on purpose: no error
            p = masked.softmax(-1)
    with detect_anomaly():  # an op that only passes a NaN on is not blamed
        q = Tensor(np.array([np.nan, 1.0]), requires_grad=True) + np.inf
    assert np.isnan(q.data[0]) and np.isinf(q.data[1])
