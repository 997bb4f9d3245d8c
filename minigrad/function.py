"""Function: the one way an operation is defined in minigrad.

An op is a subclass with two static methods side by side::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):          # arrays in, array out
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):         # dL/d(out) in, dL/d(each input) out
            a, b = ctx.saved
            return grad * b, grad * a

and is called as ``Mul.apply(x, y)`` with Tensors (or arrays / Python numbers,
which become constants).  Keyword arguments are hyper-parameters: they go to
``forward`` unchanged and are not differentiated.

The contract, without exceptions:

* ``forward(ctx, *arrays, **params)`` returns an array or a tuple of arrays;
  outputs that carry no gradient (integer indices, say) are marked with
  ``ctx.mark_non_differentiable(array)`` (integer outputs never get one).
* ``backward(ctx, *grads)`` gets one gradient per output (``None`` for an
  output nothing used) and returns one per positional input (``None`` where
  there is none).  A gradient whose shape is a *broadcast* of its input's shape
  is summed back to that shape here, in :func:`unbroadcast`, so no op has to
  undo broadcasting itself.
* Everything backward needs goes through ``ctx``: no side channels.

The graph is made of :class:`Node` objects whose edges are ``(node, output
number)`` pairs; a leaf tensor that wants a gradient is reached through its
:class:`AccumulateGrad` node, so every edge is of one kind.  This module sits
below :mod:`minigrad.tensor` in the import stack: it wraps results in the
Tensor class that module registers with :func:`register_tensor_type`.
"""
import contextlib
import weakref

from .backend import get_array_module

_grad_enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _grad_enabled


@contextlib.contextmanager
def _set_grad_enabled(mode):
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, mode
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad():
    """Context manager: ops inside build no graph and save nothing for backward."""
    return _set_grad_enabled(False)


def enable_grad():
    """Context manager that turns graph building back on inside ``no_grad()``."""
    return _set_grad_enabled(True)


class Context:
    """Scratch space an op's forward leaves for its backward.

    ``needs_input_grad[i]`` says whether input i wants a gradient, so backward
    can skip work (e.g. a conv's weight gradient when the weight is frozen).
    When no input needs a gradient (or under ``no_grad``) nothing is saved.
    """

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.requires_grad = any(needs_input_grad)
        self.saved = ()
        self.non_differentiable = set()

    def save_for_backward(self, *arrays):
        if self.requires_grad:
            self.saved = arrays

    def mark_non_differentiable(self, *arrays):
        """Outputs (the arrays forward returns) that get no gradient, e.g. pooling indices."""
        self.non_differentiable.update(id(a) for a in arrays)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    Broadcasting (NumPy rules) prepends axes and stretches size-1 axes; the
    gradient of a stretched axis is the sum over it (each copy contributed).
    """
    if grad.shape == tuple(shape):
        return grad
    # BEGIN SOLUTION a1_unbroadcast
    # BEGIN PROMPT
    # Two steps: sum away the leading axes that broadcasting prepended (grad has more axes
    # than shape), then sum over the axes where shape has a 1 but grad does not (keepdims).
    # END PROMPT
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)
    # END SOLUTION


class Function:
    """Base class of every op; see the module docstring."""

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        is_tensor = _tensor_type().__instancecheck__
        tensors = [t for t in inputs if is_tensor(t)]
        like = tensors[0].data if tensors else None
        arrays = [_as_array(t, like, is_tensor) for t in inputs]
        get_array_module(*arrays, op=cls.__name__)  # raises on mixed backends
        needs = tuple(is_tensor(t) and t.requires_grad for t in inputs)
        record = _grad_enabled and any(needs)
        ctx = Context(needs if record else (False,) * len(inputs))
        out = cls.forward(ctx, *arrays, **params)
        outputs = out if isinstance(out, tuple) else (out,)
        node = Node(cls, ctx, inputs, outputs, is_tensor) if record else None
        results = tuple(_wrap(a, node, i, ctx) for i, a in enumerate(outputs))
        return results if isinstance(out, tuple) else results[0]


def _wrap(array, node, number, ctx):
    """Output ``number`` of an op as a Tensor, linked to ``node`` when it carries a gradient."""
    differentiable = (node is not None and id(array) not in ctx.non_differentiable
                      and array.dtype.kind in 'fc')
    result = _tensor_type()(array, requires_grad=differentiable)
    if differentiable:
        result._node, result._output_nr = node, number
    return result


class Node:
    """One recorded op: the Function, its ctx, and where each input's gradient goes.

    ``edges[i]`` is ``(node, output number)`` for an input that wants a gradient
    (an op's Node, or the :class:`AccumulateGrad` of a leaf), else None.  The
    graph links Nodes, not the Tensors they produced (PyTorch's design too): an
    intermediate tensor that no backward needs is freed as soon as the caller
    drops it, and ``backward`` frees each node's saved arrays when done with it.
    """
    __slots__ = ('fn', 'ctx', 'edges', 'shapes', 'n_outputs', 'retained', '__weakref__')

    def __init__(self, fn, ctx, inputs, outputs, is_tensor):
        self.fn, self.ctx, self.retained, self.n_outputs = fn, ctx, {}, len(outputs)
        self.edges = tuple(_edge(t) if is_tensor(t) and t.requires_grad else None for t in inputs)
        self.shapes = tuple(t.shape if is_tensor(t) else None for t in inputs)


class AccumulateGrad:
    """The node of a leaf tensor: the gradient that reaches it is added to ``tensor.grad``."""
    __slots__ = ('tensor', 'edges', 'n_outputs', '__weakref__')

    def __init__(self, tensor):
        self.tensor, self.edges, self.n_outputs = tensor, (), 1

    def accumulate(self, grad):
        t = self.tensor
        if t.requires_grad:  # (switched off since the graph was built: no gradient)
            t.grad = grad if t.grad is None else t.grad + grad


#: id(leaf) -> its AccumulateGrad, while some graph holds that node (which holds the leaf,
#: so the id cannot be reused meanwhile); the leaf itself keeps no link to it.
_ACCUMULATORS = weakref.WeakValueDictionary()


def _edge(t):
    """The ``(node, output number)`` a gradient for tensor ``t`` flows to."""
    if t._node is not None:
        return t._node, t._output_nr
    acc = _ACCUMULATORS.get(id(t))
    if acc is None or acc.tensor is not t:  # one accumulator per leaf, shared by every graph using it
        acc = _ACCUMULATORS[id(t)] = AccumulateGrad(t)
    return acc, 0


_TENSOR = []


def register_tensor_type(cls):
    """Called once by :mod:`minigrad.tensor`: the class ``Function.apply`` wraps its results in."""
    _TENSOR[:] = [cls]


def _tensor_type():
    return _TENSOR[0]


def _as_array(value, like, is_tensor):
    """Tensor -> its data; Python number -> 0-d array in ``like``'s dtype (no upcast)."""
    if is_tensor(value):
        return value.data
    if value is None or hasattr(value, 'shape'):
        return value
    if isinstance(value, (int, float, bool)) and like is not None:
        xp = get_array_module(like)
        dtype = like.dtype if xp.issubdtype(like.dtype, xp.floating) or isinstance(value, (int, bool)) \
            else xp.float32
        return xp.asarray(value, dtype=dtype)
    return value


def backward(root, grad, retain_graph=False):
    """Reverse-mode sweep from ``root`` (a Tensor) seeded with ``grad``.

    Nodes are visited in reverse topological order found by an explicit stack
    (no recursion, so a chain of 10^5 ops is fine).  A node's output gradients
    are summed in a dict only until it ran; a leaf's accumulator runs after every
    node that feeds it.  Unless ``retain_graph``, each node's ctx (its saved
    arrays) and edges are dropped right after its backward ran, so memory falls
    as the sweep proceeds.
    """
    if root._node is None:  # backward on a leaf: its gradient is the seed
        root.grad = grad if root.grad is None else root.grad + grad
        return
    start = root._node
    grads = {id(start): [None] * start.n_outputs}
    grads[id(start)][root._output_nr] = grad
    for node in reversed(topological_order(start)):
        outs = grads.pop(id(node), None)
        if outs is None:
            continue
        if isinstance(node, AccumulateGrad):
            node.accumulate(outs[0])
            continue
        for number, ref in node.retained.items():
            kept = ref()
            if kept is not None and outs[number] is not None:
                kept.grad = outs[number] if kept.grad is None else kept.grad + outs[number]
        if node.ctx is None:
            raise RuntimeError(
                "backward: trying to backward through the graph a second time; "
                "its saved arrays were freed. Pass retain_graph=True the first time.")
        in_grads = node.fn.backward(node.ctx, *outs)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) != len(node.edges):
            raise RuntimeError(f"{node.fn.__name__}.backward returned {len(in_grads)} gradients "
                               f"for {len(node.edges)} inputs")
        for i, (edge, shape, g) in enumerate(zip(node.edges, node.shapes, in_grads)):
            if edge is None or g is None:
                continue
            g = _fit(g, shape, node.fn, i)
            target, number = edge
            slot = grads.setdefault(id(target), [None] * target.n_outputs)
            slot[number] = g if slot[number] is None else slot[number] + g
        if not retain_graph:  # drop saved arrays and links to inputs: they can be freed now
            node.ctx, node.edges = None, tuple(None for _ in node.edges)


def _fit(grad, shape, fn, i):
    """``grad`` summed back to the input's ``shape`` (:func:`unbroadcast`), or a clear error
    naming the Function when its shape is not a broadcast of that shape."""
    shape = tuple(shape)
    if grad.ndim >= len(shape) and all(s == g or s == 1 for s, g in zip(shape[::-1], grad.shape[::-1])):
        return unbroadcast(grad, shape)
    raise ValueError(f"{fn.__name__}.backward returned a gradient of shape {tuple(grad.shape)} for input {i} "
                       f"of shape {shape}")


def topological_order(root_node):
    """Every node behind ``root_node``, each after all the nodes it feeds (DFS, explicit stack)."""
    order, seen, stack = [], set(), [(root_node, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for edge in node.edges:
            if edge is not None and id(edge[0]) not in seen:
                stack.append((edge[0], False))
    return order
