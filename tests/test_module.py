"""Tests of the module system (nn/module.py) through real layers: registration, names, modes,
repr, state dicts and checkpoints."""
from collections import OrderedDict

import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn import optim
from nn.layers import BatchNorm1d, Dropout, Linear, ReLU, Sigmoid
from nn.module import Module, ModuleList, Parameter, Sequential


class Ordered(Module):
    """Assigns attributes in an order that is not alphabetical."""

    def __init__(self):
        super().__init__()
        self.zeta = Parameter(np.zeros(2, dtype=np.float32))
        self.head = Linear(3, 2, rng=0)
        self.alpha = Parameter(np.ones(1, dtype=np.float32))
        self.note = "not registered"

    def forward(self, x):
        return self.head(x) + self.zeta + self.alpha


class Shared(Module):
    """Uses one Linear twice and also stores a direct reference to its weight."""

    def __init__(self):
        super().__init__()
        self.first = Linear(3, 3, rng=0)
        self.second = self.first
        self.tied = self.first.weight

    def forward(self, x):
        return self.second(self.first(x))


def small_model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(4, 6, rng=rng), BatchNorm1d(6), ReLU(), Dropout(0.5),
                      Linear(6, 2, rng=rng))


# ----- registration and names ---------------------------------------------------------------

def test_parameters_are_registered_in_assignment_order():
    # as PyTorch: a module's own parameters in assignment order, then each submodule's
    names = [name for name, _ in Ordered().named_parameters()]
    assert names == ["zeta", "alpha", "head.weight", "head.bias"]


def test_reassigning_a_name_replaces_in_place_and_non_parameters_are_refused():
    # as PyTorch: a replaced parameter keeps its place; a plain tensor cannot replace one
    model = Ordered()
    model.zeta = Parameter(np.full(2, 5.0, dtype=np.float32))
    assert [n for n, _ in model.named_parameters()] == ["zeta", "alpha", "head.weight", "head.bias"]
    np.testing.assert_array_equal(model.zeta.numpy(), [5.0, 5.0])
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'alpha'"):
        model.alpha = Tensor(np.ones(1, dtype=np.float32))
    model.alpha = None  # None unregisters, as del does
    assert [n for n, _ in model.named_parameters()] == ["zeta", "head.weight", "head.bias"]
    del model.head
    assert [n for n, _ in model.named_parameters()] == ["zeta"]


def test_assignment_before_super_init_names_the_fix():
    class Broken(Module):
        def __init__(self):
            self.layer = Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\) first in Broken"):
        Broken()


def test_dotted_names_in_nested_containers():
    model = Sequential(Linear(2, 3), ReLU(), Sequential(Linear(3, 3), Sequential(Linear(3, 1))))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.1.0.weight", "2.1.0.bias"]
    assert [name for name, _ in model.named_modules()] == ["", "0", "1", "2", "2.0", "2.1", "2.1.0"]


def test_ordered_dict_sequential_and_module_list_names():
    model = Sequential(OrderedDict([("encoder", Linear(2, 3)), ("act", ReLU())]))
    assert [n for n, _ in model.named_parameters()] == ["encoder.weight", "encoder.bias"]
    blocks = ModuleList([Linear(2, 2), Linear(2, 2)]).append(Linear(2, 1))
    assert [n for n, _ in blocks.named_parameters()][-2:] == ["2.weight", "2.bias"]
    assert len(blocks) == 3 and isinstance(blocks[-1], Linear)


def test_shared_parameters_are_listed_once():
    model = Shared()
    params = list(model.parameters())
    assert len(params) == 2
    # as PyTorch: the first name met wins, and a module's own parameters come first
    assert [n for n, _ in model.named_parameters()] == ["tied", "first.bias"]


def test_shared_parameters_accumulate_gradient_from_every_use():
    model = Shared()
    x = Tensor(np.ones((1, 3), dtype=np.float32))
    model(x).sum().backward()
    w, b = model.first.weight.data, model.first.bias.data
    # y2 = W (W x + b) + b, so d(sum y2)/db = W.T @ 1 + 1
    np.testing.assert_allclose(model.first.bias.grad.numpy(), w.sum(0) + 1, rtol=1e-5)
    assert model.first.weight.grad is not None and b.shape == (3,)


def test_zero_grad_clears_every_parameter():
    model = small_model()
    model(Tensor(np.ones((3, 4), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ----- modes ----------------------------------------------------------------------------------

def test_train_and_eval_reach_every_submodule():
    model = Sequential(small_model(), Sequential(Dropout(0.3), Sigmoid()))
    assert model.eval() is model
    assert [m.training for m in model.modules()] == [False] * len(list(model.modules()))
    model.train()
    assert all(m.training for m in model.modules())
    model[1].eval()
    assert model.training and not model[1][0].training and model[0][3].training


def test_eval_mode_changes_dropout_and_batchnorm_behaviour():
    model = small_model()
    x = Tensor(np.random.default_rng(1).standard_normal((8, 4)).astype(np.float32))
    model.train()
    a, b = model(x).numpy(), model(x).numpy()
    assert not np.allclose(a, b)  # new dropout masks and moving running statistics
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())


# ----- repr -----------------------------------------------------------------------------------

def test_repr_shows_the_tree_like_pytorch():
    model = Sequential(Linear(4, 8), ReLU(), Sequential(Linear(8, 1, bias=False), Sigmoid()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=8, out_features=1, bias=False)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )


def test_repr_of_batchnorm_and_dropout_matches_pytorch():
    assert repr(BatchNorm1d(6)) == (
        "BatchNorm1d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")
    assert repr(BatchNorm1d(6, affine=False)) == (
        "BatchNorm1d(6, eps=1e-05, momentum=0.1, affine=False, track_running_stats=True)")
    assert "affine=True, bias=False" in repr(BatchNorm1d(6, bias=False))
    assert repr(Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"


# ----- state dicts ------------------------------------------------------------------------------

def test_state_dict_lists_parameters_then_buffers_of_each_module():
    state = small_model().state_dict()
    assert list(state) == [
        "0.weight", "0.bias",
        "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "4.weight", "4.bias",
    ]
    assert state["1.num_batches_tracked"].dtype == np.int64
    np.testing.assert_array_equal(state["1.running_var"].numpy(), np.ones(6, np.float32))


def test_state_dict_tracks_batchnorm_running_statistics():
    model = small_model()
    model(Tensor(np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)))
    state = model.state_dict()
    assert int(state["1.num_batches_tracked"].item()) == 1
    assert not np.allclose(state["1.running_mean"].numpy(), 0)


def test_load_state_dict_copies_values():
    source, target = small_model(seed=1), small_model(seed=2)
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_load_state_dict_names_the_missing_key():
    state = small_model().state_dict()
    del state["1.running_var"]
    with pytest.raises(KeyError, match=r"missing keys '1\.running_var'"):
        small_model().load_state_dict(state)


def test_load_state_dict_names_the_unexpected_key():
    state = small_model().state_dict()
    state["5.weight"] = np.zeros(3, np.float32)
    with pytest.raises(KeyError, match=r"unexpected keys '5\.weight'"):
        small_model().load_state_dict(state)


def test_load_state_dict_names_the_misshaped_key_and_both_shapes():
    state = small_model().state_dict()
    state["4.weight"] = np.zeros((3, 6), np.float32)
    with pytest.raises(ValueError, match=r"'4\.weight'.*\(3, 6\).*\(2, 6\)"):
        small_model().load_state_dict(state)


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    source, target = small_model(seed=1), small_model(seed=2)
    state = source.state_dict()
    del state["0.bias"]
    state["extra.weight"] = np.zeros(2, np.float32)
    result = target.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"]
    assert result.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(target[0].weight.numpy(), source[0].weight.numpy())
    assert not np.array_equal(target[0].bias.numpy(), source[0].bias.numpy())


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    model = small_model(seed=3)
    rng = np.random.default_rng(4)
    for _ in range(3):  # move the running statistics away from their defaults
        model(Tensor(rng.standard_normal((6, 4)).astype(np.float32)))
    path = tmp_path / "model.npz"
    nn.save(model.state_dict(), path)
    restored = small_model(seed=99)
    restored.load_state_dict(nn.load(path))
    x = Tensor(rng.standard_normal((5, 4)).astype(np.float32))
    model.eval()
    restored.eval()
    np.testing.assert_array_equal(restored(x).numpy(), model(x).numpy())
    assert int(restored[1].num_batches_tracked.item()) == 3


def test_double_converts_floating_parameters_and_buffers_only():
    model = small_model().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    out = model(Tensor(np.ones((3, 4))))
    assert out.dtype == np.float64


def test_apply_visits_every_module_once_children_before_parents():
    inner = Sequential(ReLU())
    model = Sequential(Linear(2, 2), inner)
    visited = []
    model.apply(visited.append)
    assert sorted(map(id, visited)) == sorted(map(id, model.modules()))
    assert visited.index(inner[0]) < visited.index(inner) < visited.index(model)
    assert visited.index(model[0]) < visited.index(model)


def test_apply_follows_pytorch_order():
    linear, relu = Linear(2, 2), ReLU()
    inner = Sequential(relu)
    model = Sequential(linear, inner)
    visited = []
    model.apply(visited.append)
    assert [id(m) for m in visited] == [id(linear), id(relu), id(inner), id(model)]


# ----- load_state_dict converts every value before writing any ----------------------------
def test_unconvertible_value_names_the_key_and_leaves_the_model_untouched():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    state = {k: v.data.copy() for k, v in model.state_dict().items()}
    before = {k: v.copy() for k, v in state.items()}
    state["0.weight"] = np.full((2, 2), 7.0)
    state["1.bias"] = np.array(["x", "y"])
    with pytest.raises(ValueError, match="'1.bias'"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.data, before["0.weight"])


# ----- shared parameters and modules in the state dict ------------------------------------
class TiedLM(nn.Module):
    """Embedding and output projection share one weight (the usual weight tying)."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3, rng=0)
        self.head = nn.Linear(3, 5, bias=False, rng=1)
        self.head.weight = self.emb.weight

    def forward(self, i):
        return self.head(self.emb(i))


def test_tied_model_loads_its_own_state_dict():
    model = TiedLM()
    result = model.load_state_dict(model.state_dict())  # currently: bare KeyError('head.weight')
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_tied_model_loads_into_a_fresh_copy():
    source, target = TiedLM(), TiedLM()
    source.emb.weight.data[...] = 7.0
    sd = {k: v.numpy().copy() for k, v in source.state_dict().items()}
    target.load_state_dict(sd)
    np.testing.assert_array_equal(target.emb.weight.numpy(), 7.0)
    assert target.head.weight is target.emb.weight


def test_tied_model_load_round_trip_through_save(tmp_path):
    source, target = TiedLM(), TiedLM()
    nn.save(source.state_dict(), tmp_path / "tied.npz")
    target.load_state_dict(nn.load(tmp_path / "tied.npz"))
    idx = np.array([0, 3, 4])
    np.testing.assert_array_equal(source(idx).numpy(), target(idx).numpy())


def test_module_used_twice_is_in_the_state_dict_under_both_names_as_pytorch():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    # torch.nn.Sequential(l, ReLU(), l).state_dict() has all four keys
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_pytorch_checkpoint_of_a_module_used_twice_loads_strictly():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    w, b = np.arange(4.0).reshape(2, 2), np.array([1.0, -1.0])
    checkpoint = {"0.weight": w, "0.bias": b, "2.weight": w, "2.bias": b}  # as PyTorch saves it
    model.load_state_dict(checkpoint)  # currently: KeyError, unexpected keys '2.weight', '2.bias'
    np.testing.assert_array_equal(shared.weight.numpy(), w)


def test_loading_a_tied_weight_still_stamps_it_for_graphs_recorded_before():
    model = TiedLM()
    out = model(np.array([1, 2])).sum()
    model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


# ----- assigning to registered names ------------------------------------------------------
class WithBuffer(Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("steps", Tensor(np.zeros((), np.int64)))

    def forward(self, x):
        self.steps = self.steps + 1  # the common PyTorch idiom for a counter buffer
        return self.fc(x)


def test_plain_tensor_assigned_to_a_parameter_name_raises_instead_of_unregistering():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = Tensor(np.zeros((2, 2), np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_ndarray_assigned_to_a_parameter_name_raises():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = np.zeros((2, 2), np.float32)
    assert "weight" in layer.state_dict()


def test_non_module_assigned_to_a_submodule_name_raises():
    model = WithBuffer()
    with pytest.raises(TypeError, match="child module 'fc'"):
        model.fc = 3
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]


def test_tensor_assigned_to_a_buffer_name_stays_a_buffer():
    model = WithBuffer()
    model(Tensor(np.zeros((1, 2), np.float32)))
    model(Tensor(np.zeros((1, 2), np.float32)))
    state = model.state_dict()
    assert "steps" in state  # currently dropped from the state dict after the first call
    assert int(state["steps"].item()) == 2


def test_reassigned_parameter_keeps_its_place_as_in_pytorch():
    layer = nn.Linear(2, 2)
    layer.weight = Parameter(np.ones((2, 2), np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_parameter_can_still_replace_a_buffer_and_none_still_unregisters():
    model = WithBuffer()
    model.steps = Parameter(np.zeros(1, np.float32))
    assert [n for n, _ in model.named_parameters()] == ["steps", "fc.weight", "fc.bias"]
    assert [n for n, _ in model.named_buffers()] == []
    model.fc = None
    assert [n for n, _ in model.named_parameters()] == ["steps"]


# ----- Sequential and ModuleList indexing -------------------------------------------------
def test_slice_keeps_the_original_names_as_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tail = model[2:]
    # torch: Sequential(...)[2:] is Sequential((2): Linear(...)), state dict key '2.weight'
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]
    assert "(2): Linear" in repr(tail)
    assert tail[0] is model[2]


def test_slice_of_a_named_sequential_keeps_the_names():
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    head = model[:1]
    assert [name for name, _ in head.named_children()] == ["fc"]
    # a checkpoint of the slice loads back into the full model with strict=False, no renaming
    result = model.load_state_dict(head.state_dict(), strict=False)
    assert result.unexpected_keys == []


def test_setitem_replaces_in_place_keeping_name_and_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model[1] = nn.Tanh()  # torch supports Sequential.__setitem__
    assert isinstance(model[1], nn.Tanh)
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    x = np.ones((1, 2), np.float32)
    expected = model[2](model[0](Tensor(x)).tanh()).numpy()
    np.testing.assert_allclose(model(Tensor(x)).numpy(), expected, rtol=1e-6)
    model[-1] = nn.Linear(3, 4)
    assert model(Tensor(x)).shape == (1, 4)


def test_setitem_refuses_a_non_module():
    model = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="expected a Module"):
        model[0] = lambda x: x
    layers = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="expected a Module"):
        layers[0] = 5  # currently accepted silently; iteration then yields 5
    assert isinstance(layers[0], nn.ReLU)


def test_setitem_out_of_range_raises_index_error():
    with pytest.raises(IndexError):
        nn.Sequential(nn.ReLU())[3] = nn.Tanh()


# ----- non-persistent buffers; zero_grad(set_to_none=False) -------------------------------
class Masked(Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        # the causal-mask idiom of PyTorch models: kept on the module, not in checkpoints
        self.register_buffer("mask", Tensor(np.tril(np.ones((3, 3), np.float32))),
                             persistent=False)
        self.register_buffer("count", Tensor(np.zeros((), np.int64)))

    def forward(self, x):
        return self.fc(x) * self.mask


def test_non_persistent_buffer_is_a_buffer_but_not_in_the_state_dict():
    model = Masked()
    assert [n for n, _ in model.named_buffers()] == ["mask", "count"]
    assert list(model.state_dict()) == ["count", "fc.weight", "fc.bias"]  # own first, as torch


def test_checkpoint_without_the_non_persistent_buffer_loads_strictly():
    source, target = Masked(), Masked()
    target.load_state_dict(source.state_dict())  # strict: 'mask' is not expected
    np.testing.assert_array_equal(target.fc.weight.numpy(), source.fc.weight.numpy())


def test_non_persistent_buffer_follows_double():
    model = Masked().double()
    assert model.mask.dtype == np.float64


def test_zero_grad_set_to_none_false_gives_zero_gradients():
    model = nn.Linear(2, 2)
    model(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad is not None
        np.testing.assert_array_equal(p.grad.numpy(), 0.0)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ----- containers refuse what is not a Module ---------------------------------------------
def _block_without_return():
    nn.Linear(4, 4)  # forgot `return`


def test_sequential_refuses_none_instead_of_silently_dropping_a_layer():
    with pytest.raises(TypeError, match=r"Sequential: item 1 is NoneType.*return"):
        nn.Sequential(nn.Linear(4, 4), _block_without_return(), nn.ReLU())


def test_sequential_refuses_none_in_ordered_dict_and_append():
    with pytest.raises(TypeError, match=r"item 'b' is NoneType"):
        nn.Sequential(OrderedDict(a=nn.Linear(2, 2), b=None))
    with pytest.raises(TypeError, match=r"Sequential.append: item 1 is NoneType"):
        nn.Sequential(nn.Linear(2, 2)).append(None)


def test_module_list_refuses_none():
    with pytest.raises(TypeError, match=r"ModuleList: item 1 is NoneType"):
        nn.ModuleList([nn.Linear(2, 2), None])


def test_sequential_given_a_class_says_to_instantiate_it():
    with pytest.raises(TypeError, match=r"item 1 is type.*class ReLU.*ReLU\(\.\.\.\)"):
        nn.Sequential(nn.Linear(4, 3), nn.ReLU, nn.Linear(3, 1))


def test_sequential_given_a_list_says_to_unpack_it():
    with pytest.raises(TypeError, match=r"item 0 is list.*Sequential\(\*layers\)"):
        nn.Sequential([nn.Linear(4, 3), nn.ReLU()])


def test_module_list_given_one_module():
    with pytest.raises(TypeError, match=r"ModuleList\(\[module\]\)"):
        nn.ModuleList(nn.Linear(2, 2))


def test_valid_containers_still_work():
    model = nn.Sequential(OrderedDict(a=nn.Linear(2, 2), b=nn.ReLU()))
    assert [n for n, _ in model.named_children()] == ["a", "b"]
    assert len(nn.ModuleList([nn.Linear(2, 2)]).append(nn.ReLU())) == 2


# ----- load_state_dict given something else than a state dict -----------------------------
def _model():
    return nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))


def test_path_says_to_read_it_with_nn_load(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model().state_dict(), path)
    with pytest.raises(TypeError, match=r"got PosixPath.*nn\.load\(") :
        _model().load_state_dict(path)
    with pytest.raises(TypeError, match=r"got str.*nn\.load\("):
        _model().load_state_dict(str(path))


def test_module_says_to_pass_its_state_dict():
    with pytest.raises(TypeError, match=r"got Sequential.*other\.state_dict\(\)"):
        _model().load_state_dict(_model())


@pytest.mark.parametrize("bad", [None, [1, 2]])
def test_other_non_mappings(bad):
    with pytest.raises(TypeError, match="expects a dict of name -> tensor"):
        _model().load_state_dict(bad)


def test_optimizer_state_dict_is_recognized():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(KeyError, match="optimizer's state dict"):
        model.load_state_dict(opt.state_dict())


# ----- astype refuses what to() refuses -----------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int32, "int64", bool, np.float16])
def test_astype_refuses_a_dtype_that_to_refuses(dtype):
    model = Linear(3, 2, rng=0)
    before = model.weight.data.copy()
    with pytest.raises(TypeError, match="astype: dtype must be float32 or float64"):
        model.astype(dtype)
    with pytest.raises(TypeError, match="to: dtype must be float32 or float64"):
        model.to(dtype)
    np.testing.assert_array_equal(model.weight.data, before)
    assert model.astype(np.float64).weight.dtype == np.float64


# ----- PyTorch's rules for modules registered twice, and train(mode) (session 10) -----------

def test_children_name_a_module_registered_twice_once_and_containers_keep_both():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    assert len(list(model.children())) == 2
    assert len(model) == 3 and len(list(model)) == 3 and model[2] is shared
    assert sorted(model.state_dict()) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert repr(model).count("Linear(") == 2
    listed = nn.ModuleList([shared, shared])
    assert len(list(listed)) == 2 and listed[1] is shared


@pytest.mark.parametrize("mode", ["False", None, 0])
def test_train_refuses_a_mode_that_is_not_a_bool(mode):
    model = nn.Sequential(nn.Dropout(0.5))
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        model.train(mode)
    assert model.training and model[0].training


def test_normalization_layers_reset_their_parameters_and_statistics():
    norm = nn.BatchNorm1d(3)
    norm.weight.data[:] = 5.0
    norm.bias.data[:] = 2.0
    norm(Tensor(np.random.default_rng(0).standard_normal((8, 3)) + 4.0))
    norm.reset_parameters()
    np.testing.assert_array_equal(norm.weight.data, np.ones(3))
    np.testing.assert_array_equal(norm.bias.data, np.zeros(3))
    np.testing.assert_array_equal(norm.running_mean.data, np.zeros(3))
    assert norm.num_batches_tracked.item() == 0
    layer = nn.LayerNorm(4, bias=False)
    layer.weight.data[:] = 3.0
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.data, np.ones(4))
    assert repr(layer) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"


# ----- Module API review (session 10) --------------------------------------------------------

def test_train_goes_through_each_childs_own_train():
    class FrozenNorm(BatchNorm1d):
        def train(self, mode=True):  # keep pretrained statistics: always in eval mode
            return super().train(False)

    model = Sequential(Linear(3, 3), FrozenNorm(3))
    model.train()
    assert model.training and model[0].training and not model[1].training


def test_module_list_takes_a_sequential_or_another_list():
    body = Sequential(Linear(2, 2), ReLU())
    assert len(ModuleList(body)) == 2 and ModuleList(body)[0] is body[0]
    assert len(ModuleList(ModuleList([ReLU(), ReLU()]))) == 2
    with pytest.raises(TypeError, match="single Linear"):
        ModuleList(Linear(2, 2))


def test_plain_state_may_be_set_before_module_init():
    class Net(Module):
        def __init__(self):
            self.width = 3  # allowed, as in PyTorch; a Parameter or Module here is not
            super().__init__()
            self.fc = Linear(self.width, 1)

    assert Net().fc.in_features == 3


@pytest.mark.parametrize("register, message", [
    (lambda m: m.register_buffer("weight", Tensor(np.zeros(2))), "already exists"),
    (lambda m: m.add_module("bias", ReLU()), "already exists"),
    (lambda m: m.register_buffer("a.b", None), "be empty or contain"),
    (lambda m: m.register_parameter("", None), "be empty or contain"),
])
def test_registered_names_are_checked_as_pytorch_does(register, message):
    layer = Linear(2, 2)
    with pytest.raises(KeyError, match=message):
        register(layer)
    assert sorted(name for name, _ in layer.named_parameters()) == ["bias", "weight"]


def test_get_submodule_get_parameter_and_register_module():
    model = Sequential(Linear(2, 3), Sequential(ReLU(), Linear(3, 1)))
    assert model.get_submodule("1.1") is model[1][1]
    assert model.get_submodule("") is model
    assert model.get_parameter("1.1.weight") is model[1][1].weight
    with pytest.raises(AttributeError, match="no submodule '5'"):
        model.get_submodule("1.5")
    with pytest.raises(AttributeError, match="no parameter 'scale'"):
        model.get_parameter("0.scale")
    model.register_module("head", Linear(1, 1))
    assert "head.weight" in model.state_dict()


@pytest.mark.parametrize("make", [lambda ms: Sequential(*ms), lambda ms: ModuleList(ms)])
def test_containers_insert_extend_pop_and_delete_renumbering_as_pytorch(make):
    a, b, c, d = Linear(1, 1), ReLU(), Linear(1, 1), Sigmoid()
    container = make([a, b])
    container.insert(1, c)
    assert list(container) == [a, c, b]
    assert sorted(container.state_dict()) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    container.extend([d])
    assert container.pop() is d and container.pop(0) is a
    assert list(container) == [c, b]
    del container[0]
    assert list(container) == [b] and len(container) == 1
    assert [name for name, _ in container.named_children()] == ["0"]
    with pytest.raises(TypeError, match="not a Module"):
        container.insert(0, None)


def _tied_model():
    """Sequential(shared, ReLU(), shared): one Linear under two names."""
    shared = Linear(2, 2)
    return Sequential(shared, ReLU(), shared), shared


def test_named_modules_remove_duplicate_false_lists_a_shared_module_under_each_name():
    model, shared = _tied_model()
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    names = [(n, m) for n, m in model.named_modules(remove_duplicate=False)]
    assert [n for n, _ in names] == ["", "0", "1", "2"]
    assert names[3][1] is shared
    assert [n for n, _ in model.named_modules(prefix="net")] == ["net", "net.0", "net.1"]


def test_named_parameters_remove_duplicate_false_lists_tied_weights_under_each_name():
    model, shared = _tied_model()
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    listed = list(model.named_parameters(remove_duplicate=False))
    assert [n for n, _ in listed] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert listed[2][1] is shared.weight
    bn = Sequential(BatchNorm1d(2), BatchNorm1d(2))
    assert [n for n, _ in bn.named_buffers(prefix="m", remove_duplicate=False)][:3] == [
        "m.0.running_mean", "m.0.running_var", "m.0.num_batches_tracked"]


def test_state_dict_prefix_keep_vars_and_destination_as_pytorch():
    model = Sequential(Linear(2, 3))
    state = model.state_dict(prefix="net.")
    assert list(state) == ["net.0.weight", "net.0.bias"]
    assert not state["net.0.weight"].requires_grad  # detached by default
    kept = model.state_dict(keep_vars=True)
    assert kept["0.weight"] is model[0].weight  # the parameters themselves
    destination = OrderedDict(other=1)
    assert model.state_dict(destination=destination) is destination
    assert list(destination) == ["other", "0.weight", "0.bias"]


def test_container_indexing_looks_up_one_module():
    layers = [Linear(1, 1) for _ in range(5)]
    for container in (Sequential(*layers), ModuleList(layers)):
        assert container[0] is layers[0] and container[-1] is layers[4]
        assert container[np.int64(2)] is layers[2]
        with pytest.raises(IndexError, match="index 5 is out of range for .* of 5 modules"):
            container[5]


def test_module_dict_registers_its_modules_under_their_keys():
    """nanoGPT's self.transformer = nn.ModuleDict(dict(wte=..., h=nn.ModuleList(...), ln_f=...))."""
    blocks = nn.ModuleDict(dict(wte=nn.Embedding(5, 3), h=nn.ModuleList([nn.Linear(3, 3)]),
                                ln_f=nn.LayerNorm(3)))
    assert list(blocks.state_dict()) == ["wte.weight", "h.0.weight", "h.0.bias", "ln_f.weight",
                                         "ln_f.bias"]
    assert len(list(blocks.parameters())) == 5 and blocks["ln_f"] is blocks.ln_f
    blocks["head"] = nn.Linear(3, 2)
    blocks.update([("wte", nn.Embedding(7, 3))])  # replaced in its place
    assert blocks.keys() == ["wte", "h", "ln_f", "head"] and blocks["wte"].weight.shape == (7, 3)
    assert [k for k, _ in blocks.items()] == list(blocks) and len(blocks.values()) == 4
    assert isinstance(blocks.pop("head"), nn.Linear) and "head" not in blocks
    del blocks["h"]
    assert blocks.keys() == ["wte", "ln_f"] and len(list(blocks.parameters())) == 3
    with pytest.raises(KeyError, match="has no module 'h'"):
        blocks["h"]
    with pytest.raises(KeyError, match="'update' is the name of a ModuleDict attribute"):
        blocks["update"] = nn.ReLU()
    with pytest.raises(TypeError, match="item 'x' is NoneType, not a Module"):
        blocks["x"] = None
    blocks.clear()
    assert len(blocks) == 0 and not list(blocks.parameters())
