"""Gradient checkpointing (recompute in backward): trade compute for memory.

The module is named for what it does, recomputing; "checkpoint" elsewhere in
minigrad means saved weights (:mod:`minigrad.io`).  The functions keep
torch's names (``torch.utils.checkpoint.checkpoint``).

Training memory is dominated by *activations*, not weights: every op keeps
what its backward needs (a conv keeps its input, a ReLU its output…) from the
forward pass until the backward pass reaches it, and that grows with batch
size and resolution while the weights do not.  A U-Net (depth 4, width 32) on
four 128x128 images keeps ~140 MB of graph for ~31 MB of weights; checkpointing
its DoubleConv blocks brings the graph down to ~64 MB (docs/performance.md).

``checkpoint(fn, *inputs)`` runs ``fn`` under ``no_grad``, so nothing inside
it is kept: the graph holds ONE node whose saved arrays are just ``inputs``.
When the backward pass reaches that node, it re-runs ``fn`` on the saved
inputs with gradients on and backpropagates through the recomputed subgraph,
which is freed again as soon as it has been used::

    plain:        x ─[conv]─[relu]─[conv]─[relu]─ y      graph keeps ~4 activations
    checkpointed: x ─[ checkpoint(block) ]──────── y      graph keeps x only;
                  block's 4 activations live only while its backward runs

The cost is one extra forward of ``fn`` per backward (about +30 % time for a
conv net: forward ≈ 1/3 of a training step).  ``checkpoint_sequential(seq,
segments, x)`` cuts an :class:`~minigrad.nn.Sequential` into ``segments``
pieces and checkpoints all but the last (the last one would be recomputed
immediately, so it runs normally); ``checkpoint_module(m)`` makes every call
of a submodule checkpointed (e.g. each DoubleConv of a U-Net) without changing
its parameters or state_dict.

How the gradients get out: the recomputed subgraph's leaves are fresh copies
of the inputs (their ``.grad`` becomes the inputs' gradient) and ``fn``'s
parameters.  A parameter's gradient is collected from the inner backward and
handed to the engine like any other input gradient, so accumulation into
``p.grad`` happens exactly once.  For that the parameters must be known: they
are ``fn.parameters()`` when ``fn`` is a Module (or pass ``params=``).  Any
other tensor that needs a gradient must be passed as an input.

Randomness and running statistics: the random generator's state is saved in
the forward and restored for the recomputation (dropout draws the same mask),
and a Module's buffers (batch-norm running statistics) are restored after it,
so the recomputation changes nothing but the memory profile.
"""
from . import random as _random
from .function import Function, enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor

__all__ = ['checkpoint', 'checkpoint_sequential', 'checkpoint_module']


def _buffers(fn):
    """The buffer Tensors of ``fn`` (a Module), else an empty list."""
    buffers = getattr(fn, 'buffers', None)
    return [b for b in buffers() if b is not None] if callable(buffers) else []


class Checkpoint(Function):
    """y = fn(*inputs), keeping only ``inputs`` for backward.

    Positional arrays: the ``n_inputs`` inputs of ``fn``, then its parameters
    (listed only so that the engine routes their gradients).  Backward:
    recompute y with gradients on, then dL/d(input_i) and dL/d(param_j) are
    the leaves' gradients of that recomputed graph for the incoming dL/dy.
    """

    @staticmethod
    def forward(ctx, *arrays, fn, params, n_inputs):
        inputs = arrays[:n_inputs]
        ctx.fn, ctx.params, ctx.n_inputs = fn, params, n_inputs
        ctx.rng_state = _random.get_state()
        with no_grad():
            out = fn(*[Tensor(a) for a in inputs])
        if not isinstance(out, Tensor):
            raise TypeError(f"checkpoint: fn must return one Tensor, got {type(out).__name__}")
        ctx.save_for_backward(*inputs)  # the only arrays this node keeps (params are the model's own)
        return out.array

    @staticmethod
    def backward(ctx, grad):
        n = ctx.n_inputs
        needs = ctx.needs_input_grad
        fn, params = ctx.fn, ctx.params
        # Fresh leaves for the inputs; detached from the outer graph, so the inner
        # backward stops at them and leaves their gradient in .grad.
        leaves = [Tensor(a, requires_grad=bool(need)) for a, need in zip(ctx.saved, needs[:n])]
        saved_grads = [p.grad for p in params]
        buffers = _buffers(fn)
        buffer_data = [b.array.copy() for b in buffers]
        current_rng = _random.get_state()
        _random.set_state(ctx.rng_state)          # replay the forward's random draws (dropout)
        try:
            with enable_grad():
                out = fn(*leaves)
        finally:
            _random.set_state(current_rng)
            for b, data in zip(buffers, buffer_data):   # undo a second running-statistics update
                b.array = data
        for p in params:
            p.grad = None
        try:
            if out.requires_grad:
                out.backward(grad)
            param_grads = [_array_of(p.grad) if need else None for p, need in zip(params, needs[n:])]
        finally:
            for p, g in zip(params, saved_grads):  # the engine accumulates what we return
                p.grad = g
        input_grads = [_array_of(leaf.grad) if need else None for leaf, need in zip(leaves, needs[:n])]
        return tuple(input_grads) + tuple(param_grads)



def _array_of(grad):
    return None if grad is None else grad.array


def checkpoint(fn, *inputs, params=None):
    """``fn(*inputs)`` with gradient checkpointing (see the module docstring).

    ``fn``: a Module or a function of Tensors returning one Tensor.
    ``params``: the tensors ``fn`` reads that need gradients, besides ``inputs``
    (default: ``fn.parameters()`` for a Module, else none).  Under ``no_grad``
    this is just ``fn(*inputs)``.
    """
    if not callable(fn):
        raise TypeError(f"checkpoint: fn must be callable, got {type(fn).__name__}")
    if params is None:
        params = list(fn.parameters()) if callable(getattr(fn, 'parameters', None)) else []
    params = list(params)
    for t in list(inputs) + params:
        if not isinstance(t, Tensor):
            raise TypeError(f"checkpoint: inputs and params must be Tensors, got {type(t).__name__}")
    if not is_grad_enabled():
        return fn(*inputs)
    return Checkpoint.apply(*inputs, *params, fn=fn, params=params, n_inputs=len(inputs))


class _Segment:
    """Consecutive modules of a Sequential, called one after the other (a checkpoint unit)."""

    def __init__(self, modules):
        self.modules = modules

    def __call__(self, x):
        for m in self.modules:
            x = m(x)
        return x

    def parameters(self):
        seen = set()
        for m in self.modules:
            for p in m.parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield p

    def buffers(self):
        for m in self.modules:
            yield from m.buffers()


def checkpoint_sequential(sequential, segments, x):
    """Run ``sequential`` (a Sequential or a list of modules) on ``x`` in ``segments`` pieces,
    checkpointing every piece except the last.  The graph then keeps the input of
    each checkpointed piece plus the last piece's own graph."""
    modules = list(sequential)
    if not isinstance(segments, int) or not 1 <= segments:
        raise ValueError(f"checkpoint_sequential: segments must be an int >= 1, got {segments!r}")
    if not modules:
        return x
    segments = min(segments, len(modules))
    size, extra = divmod(len(modules), segments)
    start = 0
    for k in range(segments):
        stop = start + size + (1 if k < extra else 0)
        piece = _Segment(modules[start:stop])
        x = piece(x) if k == segments - 1 else checkpoint(piece, x)
        start = stop
    return x


def checkpoint_module(module, enabled=True):
    """Make every call of ``module`` checkpointed (``enabled=False`` undoes it); returns ``module``.

    Only the instance's ``forward`` changes: parameters, buffers and state_dict keys stay
    the same.  Example, the memory-lean U-Net (every DoubleConv recomputed in backward)::

        for block in list(unet.encoder) + list(unet.decoder):
            checkpoint_module(block)
    """
    if enabled:
        if '_plain_forward' not in vars(module):
            plain = module.forward
            object.__setattr__(module, '_plain_forward', plain)

            def forward(*args):
                return checkpoint(_PlainCall(module), *args)
            object.__setattr__(module, 'forward', forward)
    elif '_plain_forward' in vars(module):
        object.__delattr__(module, 'forward')
        object.__delattr__(module, '_plain_forward')
    return module


class _PlainCall:
    """Calls a checkpointed module's original forward (avoids recursing into the checkpoint)."""

    def __init__(self, module):
        self.module = module

    def __call__(self, *args):
        return self.module._plain_forward(*args)

    def parameters(self):
        return self.module.parameters()

    def buffers(self):
        return self.module.buffers()
