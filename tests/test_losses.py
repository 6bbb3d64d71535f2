"""nn.functional losses: values against NumPy references, gradients, reductions, stability, errors."""
import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autodiff import Tensor, gradcheck, gradgradcheck, no_grad


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# ----- regression and hinge ---------------------------------------------------------------------
@pytest.mark.parametrize("reduction, reduce", [("mean", np.mean), ("sum", np.sum),
                                               ("none", lambda a: a)])
def test_regression_losses_and_reductions(reduction, reduce):
    x, t = rand(3, 4), rand(3, 4, seed=1)
    np.testing.assert_allclose(F.mse_loss(Tensor(x), t, reduction=reduction).data,
                               reduce((x - t) ** 2))
    np.testing.assert_allclose(F.l1_loss(Tensor(x), Tensor(t), reduction=reduction).data,
                               reduce(np.abs(x - t)))


def test_regression_gradients():
    x, t = rand(3, 4), rand(3, 4, seed=1)
    xt = Tensor(x, requires_grad=True)
    F.mse_loss(xt, t).backward()
    np.testing.assert_allclose(xt.grad.data, 2 * (x - t) / x.size)
    assert gradcheck(lambda x, t: F.mse_loss(x, t, reduction="sum"), [x, t])
    assert gradgradcheck(lambda x, t: F.mse_loss(x, t), [x, t])
    assert gradcheck(lambda x: F.l1_loss(x, t), [x])


def test_hinge_loss_is_micrographs_max_margin():
    scores = np.array([2.0, 0.5, -0.3, -2.0])
    y = np.array([1.0, 1.0, -1.0, 1.0])
    expected = np.maximum(0, 1 - y * scores)  # [0, 0.5, 0.7, 3]
    np.testing.assert_allclose(F.hinge_loss(Tensor(scores), y).data, expected.mean())
    np.testing.assert_allclose(F.hinge_loss(Tensor(scores), y, reduction="none").data, expected)
    assert gradcheck(lambda s: F.hinge_loss(s, y, reduction="sum"), [scores])
    with pytest.raises(ValueError, match="labels must be -1 or \\+1, got 0"):
        F.hinge_loss(Tensor(scores), np.array([1.0, 0.0, 1.0, 1.0]))


def test_bad_reduction_is_named():
    for loss in (F.mse_loss, F.l1_loss, F.binary_cross_entropy):
        with pytest.raises(ValueError, match="got 'avg'"):
            loss(Tensor(np.full(3, 0.5)), np.full(3, 0.5), reduction="avg")
    with pytest.raises(ValueError, match="cross_entropy: reduction .* got 'batchmean'"):
        F.cross_entropy(Tensor(rand(2, 3)), np.array([0, 1]), reduction="batchmean")


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(4, 1\) and target of shape \(4,\)"):
        F.mse_loss(Tensor(rand(4, 1)), rand(4))


# ----- binary cross-entropy ---------------------------------------------------------------------
def bce_reference(p, t):
    return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))


def test_binary_cross_entropy_values_weights_and_gradcheck():
    p = np.array([[0.1, 0.6, 0.9], [0.3, 0.5, 0.8]])
    t = np.array([[0.0, 1.0, 1.0], [1.0, 0.5, 0.0]])
    w = np.array([1.0, 2.0, 0.5])
    out = F.binary_cross_entropy(Tensor(p), t, weight=w)
    np.testing.assert_allclose(out.data, (bce_reference(p, t) * w).mean())
    assert gradcheck(lambda p, t: F.binary_cross_entropy(p, t, reduction="none"), [p, t])
    assert gradgradcheck(lambda p: F.binary_cross_entropy(p, t), [p])


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad.data).all()
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(Tensor(np.array([1.5])), np.array([1.0]))


def test_bce_with_logits_matches_log_sigmoid_formula():
    x, t = rand(3, 4) * 3, np.random.default_rng(1).random((3, 4))
    pos_weight, weight = np.array([1.0, 2.0, 0.5, 3.0]), np.random.default_rng(2).random((3, 4))
    log_sig = -np.log1p(np.exp(-x))
    log_one_minus = -np.log1p(np.exp(x))
    expected = -(pos_weight * t * log_sig + (1 - t) * log_one_minus) * weight
    out = F.binary_cross_entropy_with_logits(Tensor(x), t, weight=weight, pos_weight=pos_weight,
                                             reduction="sum")
    np.testing.assert_allclose(out.data, expected.sum())
    inputs = [x, t, weight, pos_weight]
    f = lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw)  # noqa: E731
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_bce_with_logits_finite_at_huge_logits():
    x = Tensor(np.array([1e4, -1e4, 1e4, -1e4]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_keeps_the_precision_of_small_losses_for_both_labels(dtype):
    """(1 - t) x + softplus(-x) is x - x + a tiny rest for t = 0 far left: the loss and the
    gradient sigmoid(x) were exactly 0 from x = -17 (float32) and -37 (float64) on, while
    t = 1 far right was exact."""
    x = Tensor(np.array([-20.0, -40.0, 20.0, 40.0], dtype), requires_grad=True)
    t = np.array([0.0, 0.0, 1.0, 1.0], dtype)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss.backward(Tensor(np.ones(4, dtype)))
    tiny = np.exp([-20.0, -40.0, -20.0, -40.0])  # softplus(-|x|) and sigmoid(-|x|) to 1e-9
    np.testing.assert_allclose(loss.data, tiny, rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, tiny * [1, 1, -1, -1], rtol=1e-6)


# ----- cross-entropy and nll --------------------------------------------------------------------
def test_cross_entropy_of_known_logits():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    y = np.array([0, 1])
    # -log softmax([2, 1, 0.1])[0] = 0.4170300162, -log softmax([0.5, 2.5, 0.3])[1] = 0.2395251...
    per_sample = -log_softmax(logits)[[0, 1], y]
    np.testing.assert_allclose(per_sample[0], 0.4170300162, rtol=1e-9)
    out = F.cross_entropy(Tensor(logits), y, reduction="none")
    np.testing.assert_allclose(out.data, per_sample)
    np.testing.assert_allclose(F.cross_entropy(Tensor(logits), y).data, per_sample.mean())
    np.testing.assert_allclose(F.cross_entropy(Tensor(logits), y, reduction="sum").data,
                               per_sample.sum())


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = rand(4, 5)
    y = np.array([0, 4, 2, 2])
    x = Tensor(logits, requires_grad=True)
    F.cross_entropy(x, y).backward()
    expected = np.exp(log_softmax(logits))
    expected[np.arange(4), y] -= 1
    np.testing.assert_allclose(x.grad.data, expected / 4)


@pytest.mark.parametrize("layout", ["transposed", "one sample with positions"])
def test_cross_entropy_gradient_does_not_depend_on_the_memory_layout_of_the_logits(layout):
    # Logits whose rows are not C-contiguous: a transposed matrix, and (1, C, d), whose
    # classes-last view is one. The target entries must still be subtracted.
    if layout == "transposed":
        x, target = Tensor(rand(4, 3), requires_grad=True), np.array([0, 3, 1])
        loss = F.cross_entropy(x.T, target)
        rows = x.data.T
    else:
        x, target = Tensor(rand(1, 4, 3), requires_grad=True), np.array([[0, 3, 1]])
        loss = F.cross_entropy(x, target)
        rows = x.data[0].T
    loss.backward()
    expected = np.exp(log_softmax(rows))
    expected[np.arange(3), target.reshape(-1)] -= 1
    expected /= 3
    got = x.grad.data.T if layout == "transposed" else x.grad.data[0].T
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_cross_entropy_weights_ignore_index_and_label_smoothing_follow_pytorch():
    logits, y = rand(5, 3), np.array([0, 2, -100, 1, 2])
    w = np.array([0.2, 1.0, 3.0])
    lp = log_softmax(logits)
    valid = y != -100
    rows, safe = np.arange(5)[valid], y[valid]
    nll = -(w[safe] * lp[rows, safe]).sum() / w[safe].sum()
    smooth = -(lp[rows] * w).sum() / w[safe].sum()
    expected = 0.8 * nll + 0.2 / 3 * smooth  # PyTorch's label-smoothing formula
    out = F.cross_entropy(Tensor(logits), y, weight=w, label_smoothing=0.2)
    np.testing.assert_allclose(out.data, expected)
    none = F.cross_entropy(Tensor(logits), y, weight=w, reduction="none")
    np.testing.assert_allclose(none.data[valid], -w[safe] * lp[rows, safe])
    assert none.data[2] == 0


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "none", "label_smoothing": 0.3},
                                    {"weight": np.array([0.5, 2.0, 1.0]), "ignore_index": 1},
                                    {"reduction": "sum", "weight": np.array([0.5, 2.0, 1.0]),
                                     "label_smoothing": 0.1}])
def test_cross_entropy_gradcheck_first_and_second_order(kwargs):
    y = np.array([0, 2, 1, 1])
    f = lambda x: F.cross_entropy(x, y, **kwargs)  # noqa: E731
    assert gradcheck(f, [rand(4, 3)])
    assert gradgradcheck(f, [rand(4, 3)])


def test_cross_entropy_spatial_targets_match_flattened_rows():
    logits, y = rand(2, 3, 4, 5), np.random.default_rng(1).integers(0, 3, (2, 4, 5))
    rows = logits.transpose(0, 2, 3, 1).reshape(-1, 3)
    expected = -log_softmax(rows)[np.arange(40), y.reshape(-1)].reshape(2, 4, 5)
    np.testing.assert_allclose(F.cross_entropy(Tensor(logits), y, reduction="none").data, expected)
    assert gradcheck(lambda x: F.cross_entropy(x, y[:, :2, :2]), [logits[:, :, :2, :2]])


def test_cross_entropy_unbatched_input():
    logits = np.array([1.0, 2.0, 3.0])
    out = F.cross_entropy(Tensor(logits), np.array(2), reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.data, -log_softmax(logits, axis=0)[2])


def test_cross_entropy_finite_at_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([2, 1]), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(x.grad.data).all()
    plain = F.cross_entropy(Tensor(x.data), np.array([2, 1]), reduction="none")
    np.testing.assert_allclose(plain.data, [2e4, 0.0])


def test_cross_entropy_float32_stays_float32():
    x = Tensor(rand(3, 4).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 1, 3]))
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_cross_entropy_backward_twice_with_retain_graph_gives_same_gradient():
    x = Tensor(rand(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 1, 3]))
    loss.backward(retain_graph=True)
    first = x.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


def test_nll_loss_matches_cross_entropy_on_log_softmax():
    logits, y = rand(4, 3), np.array([2, 0, 1, -100])
    w = np.array([1.0, 0.5, 2.0])
    x = Tensor(logits)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, dim=1), y, weight=w).data,
                               F.cross_entropy(x, y, weight=w).data)
    lp = log_softmax(logits)
    np.testing.assert_allclose(F.nll_loss(Tensor(lp), y, reduction="sum").data,
                               -(lp[0, 2] + lp[1, 0] + lp[2, 1]))
    assert gradcheck(lambda lp: F.nll_loss(lp, y, weight=w, reduction="none"), [lp])


def test_mean_over_only_ignored_targets_is_nan_like_pytorch():
    out = F.cross_entropy(Tensor(rand(2, 3)), np.array([-100, -100]))
    assert np.isnan(out.item())


def test_class_target_errors():
    x = Tensor(rand(4, 3))
    with pytest.raises(TypeError, match="integer class indices, got dtype float64"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"for input of shape \(4, 3\), the target of class indices must have shape \(4,\), got \(3,\)"):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(IndexError, match="target 3 is out of bounds for 3 classes"):
        F.nll_loss(x, np.array([0, 1, 3, 1]))
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) must have shape \(3,\)"):
        F.cross_entropy(x, np.array([0, 1, 2, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(x, np.array([0, 1, 2, 1]), label_smoothing=1.5)


# ----- weights that would enlarge the loss; empty batches ---------------------------------
LOGITS_N1 = np.array([[2.0], [-1.0], [0.5], [3.0]])
LABELS_N1 = np.array([[1.0], [0.0], [1.0], [0.0]])
PER_SAMPLE = np.array([1.0, 2.0, 0.5, 4.0])  # (N,) against an (N, 1) input


def test_bce_with_logits_weight_that_enlarges_the_loss_raises():
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(Tensor(LOGITS_N1), LABELS_N1, weight=PER_SAMPLE)


def test_bce_with_logits_pos_weight_that_enlarges_the_loss_raises():
    with pytest.raises(ValueError, match=r"pos_weight of shape \(4,\)"):
        F.binary_cross_entropy_with_logits(Tensor(LOGITS_N1), LABELS_N1, pos_weight=np.full(4, 2.0))


def test_bce_weight_that_enlarges_the_loss_raises():
    with pytest.raises(ValueError, match=r"weight of shape \(4,\)"):
        F.binary_cross_entropy(Tensor(1 / (1 + np.exp(-LOGITS_N1))), LABELS_N1, weight=PER_SAMPLE)


def test_reduction_none_keeps_the_input_shape_with_a_broadcastable_weight():
    out = F.binary_cross_entropy_with_logits(Tensor(LOGITS_N1), LABELS_N1, weight=PER_SAMPLE[:, None], reduction="none")
    assert out.shape == LOGITS_N1.shape


def test_mean_over_an_empty_batch_is_nan():
    x = Tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    target = np.zeros(0, np.int64)
    assert math.isnan(F.cross_entropy(x, target).item())
    assert math.isnan(F.nll_loss(x, target).item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0.0


# ----- class weights that require grad ----------------------------------------------------
LOGITS = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]])
TARGET = np.array([0, 2])


@pytest.mark.parametrize("loss", [
    lambda x, w: F.cross_entropy(x, TARGET, weight=w),
    lambda x, w: F.cross_entropy(x, TARGET, weight=w, label_smoothing=0.1),
    lambda x, w: F.nll_loss(x.log_softmax(1), TARGET, weight=w),
])
def test_a_weight_that_requires_grad_is_refused(loss):
    x = Tensor(LOGITS, requires_grad=True)
    w = Tensor(np.array([1.0, 2.0, 0.5]), requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        loss(x, w).backward()
    assert w.grad is None


def test_constant_weights_still_work():
    x = Tensor(LOGITS, requires_grad=True)
    w = Tensor(np.array([1.0, 2.0, 0.5]), requires_grad=True)
    F.cross_entropy(x, TARGET, weight=w.detach()).backward()
    nn.CrossEntropyLoss(weight=[1.0, 2.0, 0.5])(x, TARGET).backward()
    with no_grad():
        F.cross_entropy(Tensor(LOGITS), TARGET, weight=w)
    assert x.grad is not None


# ----- BCE targets outside [0, 1] ---------------------------------------------------------
@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_targets_above_one_raise(loss):
    p = Tensor(np.array([0.2, 0.9, 0.5], np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"target must hold values in \[0, 1\].*255"):
        loss(p, np.array([0.0, 255.0, 1.0]))


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_plus_minus_one_labels_raise_with_a_hint(loss):
    p = Tensor(np.array([0.2, 0.9], np.float32))
    with pytest.raises(ValueError, match=r"\{-1, \+1\}"):
        loss(p, np.array([-1.0, 1.0]))


def test_nan_probability_raises():
    with pytest.raises(ValueError, match="probabilities in"):
        F.binary_cross_entropy(Tensor([0.2, np.nan, 0.3]), np.array([0.0, 1.0, 1.0]))


def test_valid_targets_still_work():
    p = Tensor(np.array([0.2, 0.9, 0.5], np.float32))
    assert np.isfinite(F.binary_cross_entropy(p, np.array([0.0, 1.0, 0.3])).item())
    assert np.isfinite(F.binary_cross_entropy_with_logits(p, np.array([0, 1, 1])).item())


@pytest.mark.parametrize("options", [{}, {"weight": np.array([1.0, 2.0, 3.0])},
                                     {"label_smoothing": 0.1}])
def test_a_batch_of_ignored_targets_has_a_nan_mean_and_a_zero_gradient_as_pytorch(options):
    """A crop that is all ignore_index: one optimizer step on a nan gradient would turn every
    weight into nan."""
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, np.full(4, -100), **options)
        loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.data, np.zeros((4, 3)))
    x.grad = None
    nll = F.nll_loss(x.log_softmax(1), np.full(4, -100))
    nll.backward()
    assert np.isnan(nll.item()) and not x.grad.data.any()


def test_targets_all_weighted_zero_count_as_nothing_too():
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    loss = F.cross_entropy(x, np.zeros(4, int), weight=np.array([0.0, 1.0, 1.0]))
    loss.backward()
    assert np.isnan(loss.item()) and not x.grad.data.any()


def test_pytorchs_deprecated_positional_slots_keep_their_meaning():
    """PyTorch keeps size_average and reduce in their positional slots; without them,
    ``NLLLoss(w, False)`` (old code for "sum") set ignore_index=False and averaged, and
    ``binary_cross_entropy_with_logits(x, t, w, False)`` zeroed the positive term."""
    import warnings
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(6, 4))
    labels = np.array([0, 1, 2, 3, 1, 1])
    log_probs = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    total = -log_probs[np.arange(6), labels].sum()
    with pytest.warns(UserWarning, match=r"use reduction='sum' instead"):
        loss = nn.NLLLoss(None, False)(Tensor(log_probs), labels)
    assert loss.item() == pytest.approx(total)
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.CrossEntropyLoss(None, True, -100, False)(Tensor(scores), labels).shape == (6,)
    x = Tensor(rng.normal(size=(6, 4)))
    t = Tensor((rng.uniform(size=(6, 4)) > 0.5).astype(np.float64))
    with pytest.warns(UserWarning):
        summed = F.binary_cross_entropy_with_logits(x, t, None, False)
    assert summed.item() == pytest.approx(F.binary_cross_entropy_with_logits(
        x, t, reduction="sum").item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the modern spellings do not warn
        assert F.nll_loss(Tensor(log_probs), labels, reduction="sum").item() == pytest.approx(total)
    for bad in (lambda: F.cross_entropy(Tensor(scores), labels, ignore_index=True),
                lambda: nn.NLLLoss(ignore_index=True),
                lambda: nn.BCEWithLogitsLoss(pos_weight=False)):
        with pytest.raises(TypeError, match="ignore_index must be an int|pos_weight must be"):
            bad()
    with pytest.raises(TypeError, match=r"got 'sum': pass reduction='sum' by keyword"):
        nn.MSELoss("sum")
