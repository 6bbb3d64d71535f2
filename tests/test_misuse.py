"""Typical mistakes get an error that names them, raised where they are made (session-11
review of error messages); each of these was silently wrong, or named the wrong thing."""
import os

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff import Tensor


def test_requires_grad_set_by_attribute_on_an_integer_tensor_is_refused_at_backward():
    t = Tensor(np.arange(3))
    t.requires_grad = True  # requires_grad_() refuses; the attribute cannot check
    with pytest.raises(RuntimeError, match="dtype int64 has requires_grad=True"):
        (t * 2.5).sum().backward()  # the gradient was truncated to [2, 2, 2]


def test_a_grad_assigned_by_hand_must_be_a_tensor_of_the_parameters_shape():
    layer = nn.Linear(3, 2)
    layer.weight.grad = ad.ones(3)  # broadcast silently by the update
    with pytest.raises(ValueError, match=r"shape \(2, 3\) has a .grad of shape \(3,\)"):
        nn.optim.SGD(layer.parameters(), lr=0.1).step()
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.grad = ad.ones(3)
    with pytest.raises(RuntimeError, match=r"it is shape \(3,\), for a tensor of shape \(2, 3\)"):
        (x * 2).sum().backward()
    x.grad = np.ones((2, 3))
    with pytest.raises(RuntimeError, match="it is a ndarray"):
        (x * 2).sum().backward()


def test_module_paths_are_strings_and_loaded_values_numbers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with pytest.raises(TypeError, match='get_submodule takes a dotted path as a string'):
        seq.get_submodule(0)  # returned the whole Sequential
    with pytest.raises(TypeError, match="get_parameter takes a dotted path"):
        seq.get_parameter(0)
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="'weight': the checkpoint's value is not an array of "
                                        "numbers"):
        layer.load_state_dict({"weight": None, "bias": layer.bias.detach()})


def test_nn_save_refuses_a_directory(tmp_path):
    state = nn.Linear(2, 2).state_dict()
    with pytest.raises(IsADirectoryError, match="needs a file name, not a directory"):
        nn.save(state, str(tmp_path) + os.sep)  # wrote a file named like the directory
    with pytest.raises(IsADirectoryError, match="needs a file name"):
        nn.save(state, tmp_path)
    assert os.listdir(tmp_path) == []


def test_float_labels_and_one_hot_targets_are_explained():
    logits = ad.randn(4, 3)
    with pytest.raises(TypeError, match=r"Tensor\(\[0, 1, 2\]\) is float32"):
        F.cross_entropy(logits, Tensor([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"must have shape \(4,\), got \(4, 3\) \(a one-hot"):
        F.cross_entropy(logits, np.eye(3, dtype=int)[[0, 1, 2, 0]])
    with pytest.raises(TypeError, match=r"Tensor\(\[1, 2\]\) and arange\(n\) are float32"):
        nn.Embedding(10, 3)(Tensor([1, 2]))


def test_init_layer_norm_grad_mode_rnn_and_clip_name_the_mistake():
    w = nn.Linear(3, 2).weight
    with pytest.raises(ValueError, match="std must be >= 0"):
        nn.init.normal_(w, std=-1)
    with pytest.raises(ValueError, match="a <= b"):
        nn.init.uniform_(w, 1, 0)
    with pytest.raises(TypeError, match="xavier_uniform_ fills floating-point"):
        nn.init.xavier_uniform_(Tensor(np.zeros((2, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"weight must have the normalized shape \(3,\), got "
                                         r"\(4,\)"):
        F.layer_norm(ad.randn(2, 3), (3,), weight=ad.ones(4))
    ad.set_grad_enabled(np.True_)  # a NumPy bool is a bool
    with pytest.raises(ValueError, match=r"expected input of shape \(N, L, 4\) or \(L, 4\)"):
        nn.RNN(4, 5, batch_first=True)(ad.randn(2, 7, 3))
    with pytest.raises(TypeError, match=r"hx is one tensor, got a tuple of 2 \(an LSTM"):
        nn.RNN(4, 5)(ad.randn(7, 2, 4), (ad.zeros(1, 2, 5), ad.zeros(1, 2, 5)))
    with pytest.raises(TypeError, match="pass model.parameters()"):
        nn.clip_grad_norm_(nn.Linear(2, 2), 1.0)


def test_a_refused_step_changes_no_parameter_group():
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    optimizer = nn.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = ad.ones(3), ad.ones(2)
    with pytest.raises(ValueError, match="has a .grad of shape"):
        optimizer.step()
    np.testing.assert_array_equal(a.data, 1.0)  # group 0 was updated before group 1 raised


def test_nested_list_states_empty_and_bytes_paths_and_retained_grads(tmp_path):
    rnn = nn.RNN(2, 3)
    out, h = rnn(ad.randn(4, 1, 2), [[[0.0, 0.0, 0.0]]])  # nested lists, as x may be
    assert h.shape == (1, 1, 3)
    with pytest.raises(FileNotFoundError, match="needs a file name"):
        nn.save({"w": np.ones(2)}, "")
    path = os.fsencode(tmp_path / "w.npz")
    nn.save({"w": np.ones(2)}, path)
    np.testing.assert_array_equal(nn.load(path)["w"], np.ones(2))
    x = Tensor(np.ones(3), requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    h.grad = ad.ones(2)
    with pytest.raises(RuntimeError, match="cannot accumulate into .grad"):
        h.sum().backward()


def test_nn_load_takes_the_path_as_given(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint file"):
        nn.load("")  # was IsADirectoryError: '.'
    path = tmp_path / "w.npz"
    nn.save({"w": np.ones(2)}, path)
    with pytest.raises(FileNotFoundError, match=r"w\.npz/"):
        nn.load(str(path) + "/")  # was loaded as w.npz


def test_abs_of_a_bool_tensor_and_a_scalar_mlp_without_a_list():
    with pytest.raises(TypeError, match="abs\\(\\) of a bool tensor"):
        abs(Tensor(np.array([True, False])))
    from nn.scalar import MLP
    with pytest.raises(TypeError, match=r"nouts is the list of layer sizes"):
        MLP(3, 4)


def test_mixing_a_value_with_a_tensor_names_the_value():
    with pytest.raises(TypeError, match="cannot make a Tensor from a Value"):
        ad.Value(1.0) + ad.tensor(1.0)


def test_float32_positions_for_an_embedding_name_arange_and_lists():
    """``wpe(arange(T))``, the positional-embedding idiom, was told about lists only."""
    table = nn.Embedding(16, 4)
    for indices in (ad.arange(4), Tensor([1, 2])):
        with pytest.raises(TypeError, match=r"indices must be integers, got dtype float32 .*"
                                            r"arange\(n, dtype=np.int64\) or .long\(\)"):
            table(indices)
    assert table(ad.arange(4, dtype=np.int64)).shape == (4, 4)


def test_axes_must_be_ints_and_spellings_may_not_contradict_each_other():
    """A bool axis was axis 1, a float in a tuple was truncated, PyTorch's x.max(other)
    reduced over the axes other held, and stack(axis=2, dim=0) stacked along 0."""
    a = Tensor([[1.0, 5.0], [3.0, 2.0]])
    for call in (lambda: a.sum(True), lambda: a.mean(axis=(1.7,)), lambda: a.sum("1"),
                 lambda: a.var(1.0)):
        with pytest.raises(TypeError, match="axis must be an int, a tuple of ints or None"):
            call()
    with pytest.raises(TypeError, match=r"max\(other\) .* are maximum\(x, other\)"):
        a.max(Tensor([0.5]))
    for call, name in ((lambda: a.expand_dims(True), "expand_dims"),
                       (lambda: a.swapaxes(0, True), "swapaxes"),
                       (lambda: ad.stack([a, a], True), "stack")):
        with pytest.raises(TypeError, match=f"{name}: ax"):
            call()
    for call in (lambda: ad.stack([a, a], axis=2, dim=0), lambda: ad.concatenate([a, a], 1, dim=0),
                 lambda: a.sum(1, keepdims=True, keepdim=False),
                 lambda: a.var(1, ddof=1, unbiased=False)):
        with pytest.raises(TypeError, match="not both|disagree"):
            call()
    assert a.var(1, ddof=1, unbiased=True).shape == (2,)  # agreeing spellings are accepted
    assert ad.stack([a, a], axis=1, dim=1).shape == (2, 2, 2)
    assert ad.cat([a, a], axis=1).shape == (2, 4)  # as torch.cat takes it
    assert a.expand_dims((0, 2)).shape == (1, 2, 1, 2) and a.expand_dims(-1).shape == (2, 2, 1)
    assert a.sum(1, keepdim=True).shape == (2, 1) and a.var(1, unbiased=True).shape == (2,)
