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
``forward`` unchanged and are not differentiated.  ``backward`` returns one
gradient per positional input (``None`` where there is none); a gradient whose
shape is a *broadcast* of its input's shape is summed back to that shape here,
in :func:`unbroadcast`, so no op has to undo broadcasting itself.
"""
import contextlib

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

    def save_for_backward(self, *arrays):
        if self.requires_grad:
            self.saved = arrays

    def saved_arrays(self):
        """Every array this context keeps alive (for memory accounting)."""
        found = [a for a in self.saved if hasattr(a, 'nbytes')]
        for name, value in vars(self).items():
            if name != 'saved' and hasattr(value, 'nbytes') and hasattr(value, 'shape'):
                found.append(value)
        return found


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
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        from .tensor import Tensor
        tensors = [t for t in inputs if isinstance(t, Tensor)]
        like = tensors[0].data if tensors else None
        arrays = [_as_array(t, like) for t in inputs]
        get_array_module(*arrays, op=cls.__name__)  # raises on mixed backends
        needs = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
        record = _grad_enabled and any(needs)
        ctx = Context(needs if record else (False,) * len(inputs))
        out = cls.forward(ctx, *arrays, **params)
        result = Tensor(out, requires_grad=record)
        if record:
            result._node = Node(cls, ctx, inputs)
        return result


class Node:
    """One recorded op: the Function, its ctx, and where each input's gradient goes.

    An edge is the input's own Node when the input was computed, the Tensor itself
    when it is a leaf that wants a gradient, else None.  The graph links Nodes,
    not the Tensors they produced (PyTorch's design too): an intermediate tensor
    that no backward needs (a conv output consumed by a ReLU that saves its own
    output) is freed as soon as the caller drops it, instead of living until
    backward; and ``backward`` frees each node's saved arrays when it is done with it.
    """
    __slots__ = ('fn', 'ctx', 'edges', 'shapes', 'retained', '__weakref__')

    def __init__(self, fn, ctx, inputs):
        from .tensor import Tensor
        self.fn, self.ctx, self.retained = fn, ctx, None
        self.edges = tuple((t._node or t) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs)
        self.shapes = tuple(t.shape if isinstance(t, Tensor) else None for t in inputs)


def _as_array(value, like):
    """Tensor -> its data; Python number -> 0-d array in ``like``'s dtype (no upcast)."""
    from .tensor import Tensor
    if isinstance(value, Tensor):
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
    (no recursion, so a chain of 10^5 ops is fine).  Intermediate gradients live
    in a dict only until their node ran; leaf gradients are summed there too and
    added to each leaf's ``.grad`` at the end.  Unless ``retain_graph``, each
    node's ctx (its saved arrays) and edges are dropped right after its backward
    ran, so memory falls as the sweep proceeds.
    """
    from .tensor import Tensor
    if root._node is None:  # backward on a leaf: its gradient is the seed
        root.grad = grad if root.grad is None else root.grad + grad
        return
    grads, leaves = {id(root._node): grad}, {}
    for node in reversed(_topological_order(root._node)):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if node.retained is not None and node.retained() is not None:
            kept = node.retained()
            kept.grad = g if kept.grad is None else kept.grad + g
        if node.ctx is None:
            raise RuntimeError(
                "backward: trying to backward through the graph a second time; "
                "its saved arrays were freed. Pass retain_graph=True the first time.")
        in_grads = node.fn.backward(node.ctx, g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) != len(node.edges):
            raise RuntimeError(f"{node.fn.__name__}.backward returned {len(in_grads)} gradients "
                               f"for {len(node.edges)} inputs")
        for k, (edge, shape, pg) in enumerate(zip(node.edges, node.shapes, in_grads)):
            if edge is None or pg is None or (isinstance(edge, Tensor) and not edge.requires_grad):
                continue
            _check_grad_shape(node.fn, k, shape, pg.shape, 'backward returned')
            pg, key = unbroadcast(pg, shape), id(edge)
            _check_grad_shape(node.fn, k, shape, pg.shape, 'after unbroadcast, backward returned', exact=True)
            if isinstance(edge, Tensor):
                leaves[key] = (edge, pg if key not in leaves else leaves[key][1] + pg)
            else:
                grads[key] = pg if key not in grads else grads[key] + pg
        if not retain_graph:  # drop saved arrays and links to inputs: they can be freed now
            node.ctx, node.edges = None, tuple(None for _ in node.edges)
    for leaf, g in leaves.values():
        leaf.grad = g if leaf.grad is None else leaf.grad + g


def _check_grad_shape(fn, k, shape, grad_shape, what, exact=False):
    """ValueError naming the Function, the input and both shapes unless ``grad_shape`` fits ``shape``
    (equal, or a broadcast of it that unbroadcast can sum back)."""
    shape, grad_shape = tuple(shape), tuple(grad_shape)
    fits = grad_shape == shape or not exact and len(shape) <= len(grad_shape) and all(
        s in (g, 1) for s, g in zip(reversed(shape), reversed(grad_shape)))
    if not fits:
        raise ValueError(f"{fn.__name__}.backward: {what} a gradient of shape {grad_shape} for input {k} "
                         f"of shape {shape}")


def _topological_order(root_node):
    """Every Node behind ``root_node``, each after all the nodes it feeds (DFS, explicit stack)."""
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
            if isinstance(edge, Node) and id(edge) not in seen:
                stack.append((edge, False))
    return order


def graph_arrays(root):
    """Every array the autograd graph behind ``root`` keeps alive for backward."""
    arrays = {}
    for node in (_topological_order(root._node) if root._node is not None else ()):
        if node.ctx is None:
            continue
        for a in node.ctx.saved_arrays():
            base = a
            while getattr(base, 'base', None) is not None:
                base = base.base
            arrays.setdefault(id(base), base)
    return list(arrays.values())


def graph_bytes(root):
    """Bytes held by the autograd graph behind ``root`` (views counted once)."""
    return int(sum(a.nbytes for a in graph_arrays(root)))
