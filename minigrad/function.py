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

and is called as ``Mul.apply(x, y)`` with Tensors (arrays and Python numbers
among them are constants); called with arrays only it just runs ``forward`` and
returns arrays.  Keyword arguments are hyper-parameters: they go to ``forward``
unchanged and are not differentiated.

The contract, without exceptions:

* ``forward(ctx, *arrays, **params)`` returns an array or a tuple of arrays;
  outputs that carry no gradient (integer indices, say) are marked with
  ``ctx.mark_non_differentiable(array)`` (integer outputs never get one).
* ``backward(ctx, *grads)`` gets one gradient per output (``None`` for an
  output nothing used) and returns one per positional input (``None`` where
  there is none).  A gradient whose shape is a *broadcast* of its input's shape
  is summed back to that shape here, in :func:`unbroadcast`, so no op has to
  undo broadcasting itself.
* Everything backward needs goes through ``ctx``: no side channels.  A saved
  array that is an input's or an output's storage is checked against that
  tensor's version counter before backward reads it: changed in place since
  the forward is an error, not a silently wrong gradient.
* Gradients of gradients (``create_graph=True``): the engine runs the *same*
  ``backward`` on Tensors, with saved floating-point inputs and outputs given
  back as their Tensors and ``ctx.create_graph`` set; an op whose backward is
  written to run on both declares ``differentiable_backward = True``
  (docs/autograd.md).

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


def no_grad(fn=None):
    """Context manager: ops inside build no graph and save nothing for backward.

    Also a decorator, as torch: ``@no_grad()`` or ``@no_grad``."""
    return _set_grad_enabled(False) if fn is None else _set_grad_enabled(False)(fn)


@contextlib.contextmanager
def _unchanged():
    yield


def inference_mode(mode=True):
    """``torch.inference_mode``: here exactly ``no_grad()`` when ``mode`` is True (no graph,
    nothing saved; minigrad has no further inference-only speed-ups), nothing when False.
    A context manager and a decorator: ``@inference_mode()`` or ``@inference_mode``."""
    if callable(mode):
        return _set_grad_enabled(False)(mode)
    return _set_grad_enabled(False) if mode else _unchanged()


def enable_grad():
    """Context manager that turns graph building back on inside ``no_grad()``."""
    return _set_grad_enabled(True)


class Context:
    """Scratch space an op's forward leaves for its backward.

    ``needs_input_grad[i]`` says whether input i wants a gradient, so backward
    can skip work (e.g. a conv's weight gradient when the weight is frozen).
    When no input needs a gradient (or under ``no_grad``) nothing is saved.
    """

    def __init__(self, needs_input_grad, inputs=()):
        self.needs_input_grad = needs_input_grad
        self.requires_grad = any(needs_input_grad)
        self.create_graph = False  # True while backward runs on Tensors (see ``backward``)
        self.saved = ()
        self.non_differentiable = set()
        self._inputs = inputs      # the Tensors (or values) apply got; dropped once forward returned
        self._roles = ()           # per saved array: ('input', i), ('output', j) or None
        self._versions = ()        # (version counter, value at save time) of each saved input

    def save_for_backward(self, *arrays):
        """Keep ``arrays`` for backward (nothing is kept when no input wants a gradient).

        An array that is one of the op's input tensors' storage is remembered with
        that tensor's version, so an in-place change before backward is an error
        rather than a silently wrong gradient."""
        if not self.requires_grad:
            return
        self.saved = arrays
        roles, versions = [], []
        for a in arrays:
            role = None
            for i, t in enumerate(self._inputs):
                if a is not None and getattr(t, 'array', None) is a:
                    role = ('input', i)
                    versions.append((t._version, t._version.value, i, a.shape))
                    break
            roles.append(role)
        self._roles, self._versions = tuple(roles), tuple(versions)

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

    #: True when ``backward`` is written so that it also runs on Tensors (see the module
    #: docstring): only such ops can be differentiated twice (``create_graph=True``).
    differentiable_backward = False

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op.  With Tensors among the inputs the result is Tensors (recorded in the
        graph when one of them wants a gradient); with arrays only, it is arrays: that is what
        lets a backward written with ``apply`` run on arrays and, under ``create_graph``, on Tensors."""
        is_tensor = _tensor_type().__instancecheck__
        tensors = [t for t in inputs if is_tensor(t)]
        if not tensors:
            get_array_module(*inputs, op=cls.__name__)
            return cls.forward(Context((False,) * len(inputs)), *inputs, **params)
        like = tensors[0].array
        arrays = [_as_array(t, like, is_tensor) for t in inputs]
        get_array_module(*arrays, op=cls.__name__)  # raises on mixed backends
        needs = tuple(is_tensor(t) and t.requires_grad for t in inputs)
        record = _grad_enabled and any(needs)
        ctx = Context(needs, inputs) if record else Context((False,) * len(inputs))
        out = cls.forward(ctx, *arrays, **params)
        ctx._inputs = ()
        outputs = out if isinstance(out, tuple) else (out,)
        node = Node(cls, ctx, inputs, outputs, is_tensor) if record else None
        results = tuple(_wrap(a, node, i, ctx) for i, a in enumerate(outputs))
        _share_versions_of_views(results, tensors)
        if record and ctx.saved:
            _note_saved_outputs(ctx, outputs, results)
        return results if isinstance(out, tuple) else results[0]


def _wrap(array, node, number, ctx):
    """Output ``number`` of an op as a Tensor, linked to ``node`` when it carries a gradient."""
    differentiable = (node is not None and id(array) not in ctx.non_differentiable
                      and array.dtype.kind in 'fc')
    result = _tensor_type()(array, requires_grad=differentiable)
    if differentiable:
        result._node, result._output_nr = node, number
    return result


def _storage(array):
    """The array that owns ``array``'s memory (itself unless it is a view)."""
    while getattr(array, 'base', None) is not None and hasattr(array.base, 'shape'):
        array = array.base
    return array


def _share_versions_of_views(results, inputs):
    """An output that is a view of an input's storage (reshape, permute, slicing, ``.T``)
    shares that input's version counter, as in torch: changing either in place is seen by
    every op that saved the other."""
    for r in results:
        if getattr(r.array, 'base', None) is None:
            continue
        storage = _storage(r.array)
        for t in inputs:
            if _storage(t.array) is storage:
                r._version, r._is_view = t._version, True
                break


def _note_saved_outputs(ctx, outputs, results):
    """Saved arrays that are the op's own outputs: their role, and their tensors' versions."""
    roles, versions = list(ctx._roles), list(ctx._versions)
    for k, a in enumerate(ctx.saved):
        if roles[k] is None and a is not None:
            for j, out in enumerate(outputs):
                if a is out:
                    roles[k] = ('output', j)
                    version = results[j]._version  # (an input's, when the output is a view of it)
                    versions.append((version, version.value, f'output {j}', a.shape))
                    break
    ctx._roles, ctx._versions = tuple(roles), tuple(versions)


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
            t.grad = _as_tensor(grad) if t.grad is None else t.grad + grad


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
        return value.array
    if value is None or hasattr(value, 'shape'):
        return value
    if isinstance(value, (int, float, bool)) and like is not None:
        xp = get_array_module(like)
        dtype = like.dtype if xp.issubdtype(like.dtype, xp.floating) or isinstance(value, (int, bool)) \
            else xp.float32
        return xp.asarray(value, dtype=dtype)
    return value


def backward(roots, grads, retain_graph=False, create_graph=False, capture=None):
    """Reverse-mode sweep from ``roots`` (Tensors) seeded with ``grads`` (one per root).

    Nodes are visited in reverse topological order found by an explicit stack
    (no recursion, so a chain of 10^5 ops is fine).  A node's output gradients
    are summed in a dict only until it ran; a leaf's accumulator runs after every
    node that feeds it.  Unless ``retain_graph``, each node's ctx (its saved
    arrays) and edges are dropped right after its backward ran, so memory falls
    as the sweep proceeds.

    ``create_graph``: the gradients are Tensors and every backward runs on Tensors
    (its saved inputs and outputs as the Tensors they were, with their graph), so the
    gradients are themselves differentiable.  ``capture``: ``{(node, output number):
    slot}`` — return the gradients arriving there (what :func:`minigrad.autograd.grad`
    asks for) instead of accumulating into any leaf's ``.grad``.
    """
    captured = {} if capture is not None else None
    grads_at = {}
    for root, grad in zip(roots, grads):
        if root._node is None:  # a leaf: its gradient is the seed
            if captured is not None:
                slot = capture.get((id(_edge(root)[0]), 0))
                if slot is not None:
                    captured[slot] = grad if slot not in captured else captured[slot] + grad
            else:
                _edge(root)[0].accumulate(grad)
            continue
        slot = grads_at.setdefault(id(root._node), [None] * root._node.n_outputs)
        nr = root._output_nr
        slot[nr] = grad if slot[nr] is None else slot[nr] + grad
    starts = [r._node for r in roots if r._node is not None]
    with _set_grad_enabled(create_graph):
        for node in reversed(topological_order(*starts)):
            outs = grads_at.pop(id(node), None)
            if outs is None:
                continue
            if captured is not None:
                for number, g in enumerate(outs):
                    slot = capture.get((id(node), number))
                    if slot is not None and g is not None:
                        captured[slot] = g
            if isinstance(node, AccumulateGrad):
                if captured is None:
                    node.accumulate(outs[0])
                continue
            for number, ref in node.retained.items():
                kept = ref()
                if kept is not None and outs[number] is not None and captured is None:
                    g = _as_tensor(outs[number])
                    kept.grad = g if kept.grad is None else kept.grad + g
            in_grads = _run_backward(node, outs, create_graph)
            for i, (edge, shape, g) in enumerate(zip(node.edges, node.shapes, in_grads)):
                if edge is None or g is None:
                    continue
                g = _fit(g, shape, node.fn, i)
                target, number = edge
                slot = grads_at.setdefault(id(target), [None] * target.n_outputs)
                slot[number] = g if slot[number] is None else slot[number] + g
            if not retain_graph:  # drop saved arrays and links to inputs: they can be freed now
                node.ctx, node.edges = None, tuple(None for _ in node.edges)
    return captured


def _run_backward(node, outs, create_graph):
    """``node.fn.backward`` on arrays, or on Tensors under ``create_graph``; checks first that
    nothing it saved was changed in place since the forward."""
    ctx, fn = node.ctx, node.fn
    if ctx is None:
        raise RuntimeError("backward: trying to backward through the graph a second time; "
                           "its saved arrays were freed. Pass retain_graph=True the first time.")
    for version, value, which, shape in ctx._versions:
        if version.value != value:
            what = f'input {which}' if isinstance(which, int) else which
            raise RuntimeError(
                f"backward: {fn.__name__} saved its {what} (shape {tuple(shape)}) for backward, and it was "
                f"modified in place since (version {version.value}, saved at version {value}); e.g. an "
                "optimizer step or an in-place op (+=, add_, copy_) between forward and backward. "
                "Compute the forward again, or work on a .clone().")
    if not create_graph:
        in_grads = fn.backward(ctx, *outs)
    else:
        if not fn.differentiable_backward:
            raise RuntimeError(f"backward(create_graph=True): {fn.__name__}'s backward is not written to be "
                               "differentiated again (Function.differentiable_backward is False)")
        arrays, ctx.saved, ctx.create_graph = ctx.saved, _saved_tensors(node), True
        try:
            in_grads = fn.backward(ctx, *(None if g is None else _as_tensor(g) for g in outs))
        finally:
            ctx.saved, ctx.create_graph = arrays, False
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if len(in_grads) != len(node.edges):
        raise RuntimeError(f"{fn.__name__}.backward returned {len(in_grads)} gradients "
                           f"for {len(node.edges)} inputs")
    return in_grads


def _saved_tensors(node):
    """``ctx.saved`` as Tensors for a differentiable backward: a saved floating-point input is
    that input (its graph included), a saved output this node's output; any other array (derived
    values, integer indices, boolean masks, even when they were an input or output) stays a constant."""
    tensor = _tensor_type()
    saved = []
    for a, role in zip(node.ctx.saved, node.ctx._roles):
        if role is None or a.dtype.kind not in 'fc':  # (integer indices, masks: never a gradient)
            saved.append(a)
            continue
        kind, k = role
        edge = node.edges[k] if kind == 'input' else (node, k)
        if edge is None:
            saved.append(tensor(a))
        elif isinstance(edge[0], AccumulateGrad):
            saved.append(edge[0].tensor)
        else:
            t = tensor(a, requires_grad=True)
            t._node, t._output_nr = edge
            saved.append(t)
    return tuple(saved)


def _as_tensor(g):
    return g if isinstance(g, _tensor_type()) else _tensor_type()(g)


def _fit(grad, shape, fn, i):
    """``grad`` summed back to the input's ``shape`` (:func:`unbroadcast`), or a clear error
    naming the Function when its shape is not a broadcast of that shape."""
    shape = tuple(shape)
    gshape = tuple(grad.shape)
    if len(gshape) >= len(shape) and all(s == g or s == 1 for s, g in zip(shape[::-1], gshape[::-1])):
        return unbroadcast(grad, shape)
    raise ValueError(f"{fn.__name__}.backward returned a gradient of shape {gshape} for input {i} "
                     f"of shape {shape}")


def topological_order(*root_nodes):
    """Every node behind ``root_nodes``, each after all the nodes it feeds (DFS, explicit stack)."""
    order, seen, stack = [], set(), [(r, False) for r in reversed(root_nodes)]
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
