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
            result._node = (cls, ctx, tuple(t if isinstance(t, Tensor) else None for t in inputs))
        return result


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


FREED = ('freed',)  # marks a node whose graph a backward() already released


def backward(root, grad, retain_graph=False):
    """Reverse-mode sweep from ``root`` (a Tensor) seeded with ``grad``.

    Nodes are visited in reverse topological order found by an explicit stack
    (no recursion, so a chain of 10^5 ops is fine).  Leaf tensors accumulate
    into ``.grad``; intermediate gradients live in a dict only until used.
    Unless ``retain_graph``, each node's saved arrays are dropped right after
    its backward ran, so memory falls as the sweep proceeds.
    """
    order = _topological_order(root)
    grads = {id(root): grad}
    for tensor in reversed(order):
        g = grads.pop(id(tensor), None)
        node = tensor._node
        if node is None:  # a leaf
            if g is not None and tensor.requires_grad:
                tensor.grad = g if tensor.grad is None else tensor.grad + g
            continue
        if g is None:
            continue
        if tensor._retains_grad:
            tensor.grad = g if tensor.grad is None else tensor.grad + g
        if node is FREED:
            raise RuntimeError(
                "backward: trying to backward through the graph a second time; "
                "its saved arrays were freed. Pass retain_graph=True the first time.")
        fn, ctx, parents = node
        in_grads = fn.backward(ctx, g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) != len(parents):
            raise RuntimeError(f"{fn.__name__}.backward returned {len(in_grads)} gradients "
                               f"for {len(parents)} inputs")
        for parent, pg in zip(parents, in_grads):
            if parent is None or pg is None or not parent.requires_grad:
                continue
            pg = unbroadcast(pg, parent.shape)
            key = id(parent)
            grads[key] = pg if key not in grads else grads[key] + pg
        if not retain_graph:  # drop saved arrays and links to parents: they can be freed now
            tensor._node = FREED
            ctx.__dict__.clear()


def _topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None and tensor._node is not FREED:
            for parent in tensor._node[2]:
                if parent is not None and parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def graph_arrays(root):
    """Every array the autograd graph behind ``root`` keeps alive for backward."""
    arrays, seen = {}, set()
    for tensor in _topological_order(root):
        if tensor._node is None or tensor._node is FREED:
            continue
        for a in tensor._node[1].saved_arrays():
            base = a
            while getattr(base, 'base', None) is not None:
                base = base.base
            arrays.setdefault(id(base), base)
    return list(arrays.values())


def graph_bytes(root):
    """Bytes held by the autograd graph behind ``root`` (views counted once)."""
    return int(sum(a.nbytes for a in graph_arrays(root)))
