"""autodiff.viz.draw_graph: DOT structure, labels, debugging colors, collapse, max_nodes, SVG."""
import math
import re

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value
from autodiff.viz import draw_graph, record_modules
from autodiff.viz.dot import DARK_RED, ORANGE, RED
from nn.module import Module, Parameter, Sequential


def nodes(graph):
    """name -> DOT line of every node (the legend is a graph label, not a node)."""
    return dict(re.findall(r"^\s+(n\d+) (\[.*\])$", graph.source, re.M))


def edges(graph):
    return re.findall(r"^\s+(n\d+) -> (n\d+)", graph.source, re.M)


def legend(graph):
    """The legend's text, its wrapped lines joined."""
    return graph.source.replace('<BR ALIGN="LEFT"/>', " ")


def node_with(graph, text):
    """The one node line whose label contains ``text``."""
    found = [line for line in nodes(graph).values() if text in line]
    assert len(found) == 1, f"{len(found)} nodes contain {text!r}"
    return found[0]


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    return o


class Lin(Module):
    def __init__(self, n_in, n_out, rng):
        super().__init__()
        self.weight = Parameter(rng.standard_normal((n_out, n_in)))
        self.bias = Parameter(np.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class ReLU(Module):
    def forward(self, x):
        return x.relu()


def mlp(seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential(Lin(3, 4, rng), ReLU(), Lin(4, 1, rng))
    x = Tensor(rng.standard_normal((5, 3)))
    return model, x


# ----- Value graphs ---------------------------------------------------------------------------
def test_value_graph_draws_every_value_and_op_like_micrograd():
    graph = draw_graph(neuron())
    # 10 Values (5 leaves, 5 results) and 5 op circles; 5 op->value and 9 value->op edges
    assert len(nodes(graph)) == 15
    assert len(edges(graph)) == 14
    assert "data 2.0000" in node_with(graph, ">x1<")
    assert "grad -1.5000" in node_with(graph, ">x1<")
    assert "shape=circle" in node_with(graph, "<B>tanh</B>")


def test_value_graph_dedupes_a_parent_used_twice():
    a = Value(3.0, label="a")
    y = a * a
    y.backward()
    graph = draw_graph(y)
    assert len(nodes(graph)) == 3  # a, the * circle, y
    assert len(edges(graph)) == 2
    assert "grad 6.0000" in node_with(graph, ">a<")


def test_value_leaf_without_gradient_is_orange_and_nan_is_red():
    graph = draw_graph(neuron())
    assert ORANGE in node_with(graph, ">w2<")  # x2 = 0, so w2 gets no gradient
    assert ORANGE not in node_with(graph, ">w1<")
    bad = Value(float("nan"), label="bad") * Value(2.0, label="two")
    bad.backward()
    assert RED in node_with(draw_graph(bad), ">bad<")


def test_value_params_name_the_nodes():
    w = Value(0.5)
    y = (w * 4.0).relu()
    y.backward()
    graph = draw_graph(y, params=[("layer.w", w)])
    assert "grad 4.0000" in node_with(graph, "layer.w")


# ----- Tensor graphs --------------------------------------------------------------------------
def test_tensor_graph_structure_and_names():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    graph = draw_graph(loss, model=model)
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        node_with(graph, f"<B>{name}</B>")
    labels = " ".join(nodes(graph).values())
    assert labels.count("<B>MatMul</B>") == 2
    assert "(5, 4) float64" in labels  # the first layer's output shape
    # every node except the output feeds something, and the output is fed once
    names = set(nodes(graph))
    sources = {src for src, _ in edges(graph)}
    assert names - sources == {"n0"}
    assert [dst for _, dst in edges(graph)].count("n0") == 1


def test_live_graph_gradients_match_backward_and_leave_grad_alone():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    graph = draw_graph(loss, params=model.named_parameters())
    assert all(p.grad is None for p in model.parameters())  # draw_graph computed its own
    loss.backward()
    bias = model[2].bias.grad.data.item()
    assert f"grad {bias:.4g}" in node_with(graph, "<B>2.bias</B>")
    assert "computed by draw_graph" in legend(graph)


def test_released_graph_shows_param_grads_and_says_values_were_freed():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    loss.backward()
    graph = draw_graph(loss, model=model)
    bias = model[2].bias.grad.data.item()
    assert f"grad {bias:.4g}" in node_with(graph, "<B>2.bias</B>")
    assert "freed by backward()" in legend(graph)
    assert "(5, 4) float64" in " ".join(nodes(graph).values())  # shapes survive release


def test_released_graph_keeps_every_shape():
    model, x = mlp()
    loss = ((model(x) * Tensor(np.full((1, 1), 2.0))) ** 2).mean()  # a constant input too
    loss.backward()
    shapes = sorted(re.findall(r"\((?:\d+(?:, )?)*,?\) float64", draw_graph(loss).source))
    # the constant, the parameters (4, 3) (4,) (1, 4) (1,), and every op's output
    assert shapes == ["(1, 1) float64", "(1, 4) float64", "(1,) float64", "(3, 4) float64",
                      "(4, 1) float64", "(4, 3) float64", "(4,) float64"] + \
        ["(5, 1) float64"] * 4 + ["(5, 3) float64"] + ["(5, 4) float64"] * 3


def test_planted_nan_is_red_and_its_first_op_dark_red():
    w = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True, name="w")
    with np.errstate(invalid="ignore"):
        loss = (w.log() * 2.0).sum()  # log(-1) is NaN: Log is where it starts
        graph = draw_graph(loss)
    assert DARK_RED in node_with(graph, "<B>Log</B>")
    assert "NaN/inf starts here" in node_with(graph, "<B>Log</B>")
    assert RED in node_with(graph, "<B>Mul</B>") and DARK_RED not in node_with(graph, "<B>Mul</B>")
    assert RED not in node_with(graph, "<B>w</B>") and DARK_RED not in node_with(graph, "<B>w</B>")
    planted = Tensor(np.array([np.nan, 1.0]), requires_grad=True, name="planted")
    assert RED in node_with(draw_graph((planted * 3.0).sum()), "<B>planted</B>")


def test_detached_branch_and_dead_units_stand_out():
    model, x = mlp()
    model[0].bias.data[:2] = -100.0  # units 0 and 1 of the hidden layer never fire
    unused = Parameter(np.ones(3))
    loss = (model(x) ** 2).mean() + (unused * 0.0).sum()
    graph = draw_graph(loss, params=[("unused", unused), *model.named_parameters()])
    assert ORANGE in node_with(graph, "<B>unused</B>")
    assert "gradient is all zero" in node_with(graph, "<B>unused</B>")
    weight = node_with(graph, "<B>0.weight</B>")
    assert "2 of 4 units get zero gradient" in weight and ORANGE not in weight
    assert "#e6550d" in weight  # orange border
    assert ORANGE not in node_with(graph, "<B>2.weight</B>")


def test_edges_are_shaded_by_gradient_magnitude():
    a = Tensor(np.ones(2), requires_grad=True, name="a")
    b = Tensor(np.ones(2), requires_grad=True, name="b")
    graph = draw_graph((a * 1000.0 + b).sum())
    width = dict(re.findall(r"^\t(n\d+) -> n\d+ \[.*penwidth=([\d.]+)", graph.source, re.M))
    big = re.search(r"(n\d+) \[label=<<B>a</B>", graph.source).group(1)  # d/da = 1000
    small = re.search(r"(n\d+) \[label=<<B>b</B>", graph.source).group(1)
    assert float(width[big]) > float(width[small]) + 1.0


def test_collapse_folds_each_module_call_into_a_box():
    model, x = mlp()
    with record_modules():
        loss = (model(x) ** 2).mean()
    full = draw_graph(loss, model=model)
    folded = draw_graph(loss, model=model, collapse=True)
    assert len(nodes(folded)) < len(nodes(full))
    box = node_with(folded, "0: Lin")
    assert "weight (4, 3) float64" in box and "bias (4,) float64" in box  # parameters folded in
    assert "<B>0.weight</B>" not in folded.source
    node_with(folded, "1: ReLU")
    labels = [label for label in re.findall(r'label="([^"]+)"', folded.source)]
    assert "(5, 4)" in labels  # edges out of a box carry the shape


def test_module_called_twice_gives_two_boxes_and_frames_for_containers():
    rng = np.random.default_rng(0)
    layer = Lin(2, 2, rng)
    inner = Sequential(layer, ReLU())
    model = Sequential(inner, layer)
    with record_modules():
        loss = model(Tensor(np.ones((1, 2)))).sum()
    graph = draw_graph(loss, model=model, collapse=True)
    node_with(graph, "0.0: Lin</B>")
    node_with(graph, "0.0: Lin (call 2)")
    assert "subgraph cluster_0" in graph.source  # the inner Sequential is a frame
    assert 'label="0: Sequential"' in graph.source


def test_collapse_without_recorded_modules_says_how():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    graph = draw_graph(loss, model=model, collapse=True)
    assert "record_modules()" in legend(graph)
    assert len(nodes(graph)) == len(nodes(draw_graph(loss, model=model)))


def test_max_nodes_caps_the_drawing_and_counts_what_was_left_out():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    total = len(nodes(draw_graph(loss, model=model)))
    graph = draw_graph(loss, model=model, max_nodes=5)
    assert len(nodes(graph)) == 6
    more = node_with(graph, "more nodes not drawn")
    assert f"{total - 5} more nodes" in more
    assert "parameters (" in more and "0.weight" in more
    assert any(src == "n5" for src, _ in edges(graph))  # the rest attaches where it was
    assert f"showing 5 of {total} nodes" in legend(graph)


def test_dot_text_is_deterministic():
    def build():
        model, x = mlp(seed=3)
        with record_modules():
            loss = (model(x) ** 2).mean()
        return [draw_graph(loss, model=model, collapse=c).source for c in (False, True)]

    assert build() == build()


def test_show_data_and_show_grad_switch_lines_off():
    model, x = mlp()
    loss = (model(x) ** 2).mean()
    graph = draw_graph(loss, model=model, show_data=False, show_grad=False)
    assert "data " not in " ".join(nodes(graph).values())
    assert "grad " not in " ".join(nodes(graph).values())
    assert "rankdir=TB" in draw_graph(loss, rankdir="TB").source


def test_long_graph_draws_without_recursion():
    x = Tensor(np.ones(2), requires_grad=True, name="x")
    y = x
    for _ in range(3000):
        y = y * 1.0001
    graph = draw_graph(y.sum(), max_nodes=50)
    assert len(nodes(graph)) == 51
    assert "showing 50 of 6,003 nodes" in legend(graph)  # 3001 ops, 3000 constants, x, output


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="Tensor or a Value"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="Tensor graph"):
        draw_graph(Value(1.0) * 2, collapse=True)
    with pytest.raises(TypeError, match="pairs"):
        draw_graph(Tensor([1.0], requires_grad=True) * 2, params=[1, 2])


# ----- rendering with the real dot program ----------------------------------------------------
def test_renders_svg_with_dot():
    model, x = mlp()
    with record_modules():
        loss = (model(x) ** 2).mean()
    for graph in (draw_graph(loss, model=model), draw_graph(loss, model=model, collapse=True),
                  draw_graph(neuron()), draw_graph(loss, max_nodes=4)):
        svg = graph.pipe(format="svg").decode()
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
        assert "legend" in svg
    assert "0.weight" in draw_graph(loss, model=model).pipe(format="svg").decode()


def test_renders_png_file(tmp_path):
    path = draw_graph(neuron()).render(tmp_path / "neuron", format="png", cleanup=True)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert not math.isnan(autodiff.Tensor([1.0]).item())


# ----- layout arguments are checked where they are given ----------------------------------------
def test_draw_graph_names_a_bad_rankdir_or_max_nodes():
    x = Tensor(np.ones(2), requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT, got 'XY'"):
        draw_graph(y, rankdir="XY")
    with pytest.raises(TypeError, match="max_nodes must be an int or None, got 2.5"):
        draw_graph(y, max_nodes=2.5)
    assert "rankdir=TB" in draw_graph(y, rankdir="TB", max_nodes=np.int64(2)).source


def test_format_sets_the_render_format_as_micrograds_draw_dot(tmp_path):
    a = Value(2.0, label="a")
    out = (a * a).tanh()
    out.backward()
    dot = draw_graph(out, format="svg", rankdir="TB")
    assert dot.format == "svg"
    path = dot.render(tmp_path / "gout")
    assert path.endswith(".svg") and open(path).read().lstrip().startswith(("<?xml", "<svg"))
    with pytest.raises(ValueError, match="unknown format"):
        draw_graph(out, format="nope")


# ----- the drawing's own backward pass (viz review, session 10) -------------------------------

def test_a_graph_written_after_recording_is_refused_by_the_drawing_as_by_backward():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    y = (w * 1).exp()
    out = y.sum()
    with autodiff.no_grad():
        y.mul_(100)  # written after Exp saved its output
    source = draw_graph(out).source
    assert "gradients not computed: RuntimeError" in source
    assert "271.8" not in source.split("gradients not computed")[0].split("<B>w</B>")[-1]
    assert not re.search(r"<B>w</B>[^\n]*grad", source)  # no half-computed gradient on w
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


def test_the_legend_says_that_tensor_hooks_are_not_run():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    h = w * 3
    h.register_hook(lambda g: -g)
    assert "tensor hooks (register_hook) are not run by draw_graph" in draw_graph(
        (h * h).sum()).source
    assert "not run by draw_graph" not in draw_graph((w * w).sum()).source


def test_drawing_inside_detect_anomaly_computes_gradients_without_warnings():
    import warnings

    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with autodiff.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("error")
        source = draw_graph(x.sqrt().sum()).source
    assert "gradients not computed" not in source
    assert "inf" in source


def test_an_op_written_micrograds_way_has_an_unknown_not_a_zero_edge():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    n = x * w
    t = math.tanh(n.data)
    out = Value(t, (n,), "tanh")

    def _backward():
        n.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    out.backward()
    assert n.grad != 0.0
    source = draw_graph(out).source
    assert "zero gradient" not in source


@pytest.mark.parametrize("how", ["show_grad=False", "a broken backward"])
def test_edges_without_computed_gradients_are_plain_not_zero(how):
    """Every edge of a live graph was drawn dashed, "zero gradient", under the legend line
    "dashed = zero", when draw_graph computed no gradients at all."""
    class Broken(autodiff.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            raise RuntimeError("boom")

    w = Tensor(np.ones(3), requires_grad=True)
    if how == "show_grad=False":
        source = draw_graph((w * 3).tanh().sum(), show_grad=False).source
    else:
        source = draw_graph(Broken.apply(w * 3).sum()).source
    edges = [line for line in source.splitlines() if "->" in line]
    assert len(edges) >= 3
    assert not any("dashed" in line or "zero gradient" in line for line in edges)
    assert "dashed = zero" not in source
    drawn = draw_graph((w * 3).tanh().sum() * 0).source  # computed zeros stay dashed
    assert "zero gradient" in drawn and "dashed = zero" in drawn
