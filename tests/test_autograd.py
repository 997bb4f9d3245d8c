"""The engine: deep graphs, graph freeing, no_grad, retain_graph, detach, errors."""
import gc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.function import AccumulateGrad, Function
from minigrad.instrument import graph_bytes
from minigrad.testing import assert_close, t64


def test_quickstart_from_issue():
    x = mg.randn(3, 4, requires_grad=True)
    (x.relu() * x).sum().backward()
    expected = 2 * np.maximum(x.numpy(), 0)
    assert_close(x.grad, expected)


def test_ten_thousand_chained_ops_no_recursion_error():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    assert_close(x.grad, [1.0001 ** 10_000], rtol=1e-3)


def test_graph_freed_after_backward_and_second_backward_errors():
    x = mg.tensor(np.ones((100, 100)), requires_grad=True)
    y = (x * x).sum()
    assert graph_bytes(y) >= 100 * 100 * 4
    y.backward()
    assert graph_bytes(y) == 0
    with pytest.raises(RuntimeError, match='second time'):
        y.backward()


def test_intermediate_no_backward_needs_is_freed_when_dropped():
    """The graph links nodes, not tensors: an output that no backward saved (h, consumed by
    a ReLU that keeps its own output) is freed as soon as the caller lets go of it."""
    x = mg.tensor(np.arange(-3.0, 3.0), requires_grad=True)
    h = x + 1.0                          # Add saves nothing
    z = h.relu()                         # ReLU saves z, not h
    freed = weakref.ref(h.array)
    del h
    gc.collect()
    assert freed() is None
    z.sum().backward()
    assert_close(x.grad, (np.arange(-3.0, 3.0) + 1 > 0).astype(float))


def test_backward_frees_each_node_as_it_goes():
    """Without retain_graph, a node's saved arrays are released as soon as its backward ran,
    while the sweep goes on (memory falls during backward, not only after it)."""
    seen = {}

    class Probe(Function):  # identity; its backward runs last and looks at Exp's saved array
        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, grad):
            gc.collect()
            seen['exp output alive'] = exp_out() is not None
            return grad

    x = mg.tensor(np.ones(1000), requires_grad=True)
    a = Probe.apply(x).exp()             # Exp saves its output
    exp_out = weakref.ref(a.array)
    y = (a * 2).sum()
    del a
    y.backward()
    assert seen['exp output alive'] is False
    assert_close(x.grad, 2 * np.exp(np.ones(1000)))

    seen.clear()                         # with retain_graph the same array must survive
    a = Probe.apply(x).exp()
    exp_out = weakref.ref(a.array)
    y = (a * 2).sum()
    del a
    y.backward(retain_graph=True)
    assert seen['exp output alive'] is True


def test_retain_graph_allows_second_backward():
    x = t64([2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, [8.0])


def test_no_grad_records_and_saves_nothing():
    x = mg.tensor(np.ones((50, 50)), requires_grad=True)
    with mg.no_grad():
        y = (x * x).exp().sum()
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            assert mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and graph_bytes(y) == 0
    with pytest.raises(RuntimeError, match='does not require grad'):
        y.backward()


def test_detach_cuts_graph():
    x = t64([3.0])
    y = x * x
    z = y.detach() * x
    z.sum().backward()
    assert_close(x.grad, [9.0])  # d/dx (const 9 * x)


def test_intermediate_grad_with_retain_grad():
    x = t64([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert_close(y.grad, [6.0, 12.0])
    assert_close(x.grad, [18.0, 36.0])


def test_backward_nonscalar_needs_grad():
    x = t64([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match='one-element'):
        y.backward()
    y.backward(np.array([1.0, 1.0]))
    assert_close(x.grad, [2.0, 2.0])


def test_custom_function_and_unbroadcast():
    class Scale(Function):
        """z = a * s;  dL/da = g * s."""

        @staticmethod
        def forward(ctx, a, s=2.0):
            ctx.s = s
            return a * s

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.s

    x = t64(np.ones((1, 3)))
    y = Scale.apply(x, s=3.0) + t64(np.ones((4, 3)), requires_grad=False)
    y.sum().backward()
    assert x.grad.shape == (1, 3)
    assert_close(x.grad, np.full((1, 3), 12.0))


def test_diamond_graph():
    x = t64([2.0])
    a = x * 3
    b = x * x
    (a * b).sum().backward()   # d/dx 3x³ = 9x² = 36
    assert_close(x.grad, [36.0])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match='floating-point'):
        mg.tensor([1, 2], requires_grad=True)


class _WrongShapeGrad(Function):
    """A deliberately broken op: its backward returns the transposed gradient."""

    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, grad):
        return grad.T


def test_backward_names_the_function_and_shapes_of_a_wrong_gradient():
    x = t64(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"_WrongShapeGrad\.backward returned a gradient of shape "
                                         r"\(3, 2\) for input 0 of shape \(2, 3\)"):
        _WrongShapeGrad.apply(x).sum().backward()
    assert x.grad is None


def test_backward_still_sums_broadcast_gradients():
    """A gradient shaped like the broadcast output (what ops return) is summed back, not refused."""
    a, b = t64(np.ones((2, 3))), t64(np.ones(3))
    (a + b).backward(np.ones((2, 3)))
    assert_close(b.grad, [2.0, 2.0, 2.0])


class _SplitSigns(Function):
    """Two outputs: relu(a) and relu(-a), plus a non-differentiable int64 count of positives."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a > 0)
        count = (a > 0).sum(keepdims=True).astype(np.int64)
        ctx.mark_non_differentiable(count)
        return a * (a > 0), -a * (a <= 0), count

    @staticmethod
    def backward(ctx, g_pos, g_neg, g_count):
        positive, = ctx.saved
        assert g_count is None                          # no gradient ever reaches a marked output
        total = 0
        if g_pos is not None:
            total = total + g_pos * positive
        if g_neg is not None:
            total = total - g_neg * ~positive
        return total


def test_a_function_with_several_outputs_one_not_differentiable():
    x = mg.tensor([-2.0, 3.0, -1.0, 4.0], requires_grad=True)
    pos, neg, count = _SplitSigns.apply(x)
    assert count.item() == 2 and not count.requires_grad and count.is_leaf
    (pos * 3 + neg * 5).sum().backward()
    assert_close(x.grad, [-5.0, 3.0, -5.0, 3.0])
    x.grad = None
    pos, _, _ = _SplitSigns.apply(x)                    # an output nothing uses passes None
    pos.sum().backward()
    assert_close(x.grad, [0.0, 1.0, 0.0, 1.0])


def test_a_leaf_is_reached_through_one_accumulator_node():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x + x * 3
    edges = [e for n in (y._node,) for e in n.edges]
    products = [e[0] for e in edges]
    leaf_edges = {id(e[0]) for p in products for e in p.edges if e is not None}
    assert len(leaf_edges) == 1                          # x * x and x * 3 meet in one AccumulateGrad
    acc = next(e[0] for p in products for e in p.edges if e is not None)
    assert isinstance(acc, AccumulateGrad) and acc.tensor is x
    y.sum().backward()
    assert_close(x.grad, [5.0, 7.0])


def test_min_is_its_own_function():
    x = mg.tensor([[3.0, 1.0, 1.0], [0.0, 5.0, -2.0]], requires_grad=True)
    m = x.amin(dim=1)
    assert m._node.fn.__name__ == 'Min'
    m.sum().backward()
    assert_close(x.grad, [[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])  # amin: ties share the gradient
    with pytest.raises(ValueError, match='min: cannot reduce an empty tensor'):
        mg.zeros(0).min()


def test_a_copied_leaf_gets_its_own_gradient_and_leaves_pickle():
    import copy
    import pickle
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()                                   # a live graph holds w's accumulator
    w2 = copy.deepcopy(w)
    (w2 * 3).sum().backward()
    assert w.grad is None and w2.grad.tolist() == [3.0, 3.0]
    y.backward()
    assert w.grad.tolist() == [2.0, 4.0]
    assert pickle.loads(pickle.dumps(w)).tolist() == [1.0, 2.0]
