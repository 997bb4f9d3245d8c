"""``minigrad.autograd.grad``: gradients returned instead of accumulated, and gradients of gradients.

``grad(outputs, inputs)`` runs the same reverse sweep as ``Tensor.backward``
(:func:`minigrad.function.backward`) but hands back d(outputs)/d(inputs) and leaves
every ``.grad`` alone.  With ``create_graph=True`` the sweep runs every op's
backward on Tensors, so what comes back is itself differentiable: that is how a
gradient penalty (WGAN-GP's ``(‖∇_x D(x)‖ - 1)²``) is trained::

    x = mg.randn(4, 3, 8, 8, requires_grad=True)
    g, = mg.autograd.grad(D(x).sum(), x, create_graph=True)
    penalty = ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()
    penalty.backward()                # reaches D's parameters through the gradient

The ops whose backward can be differentiated again say so with
``Function.differentiable_backward = True`` (docs/autograd.md lists them); any other
op met under ``create_graph=True`` is an error naming it, never a silent zero.
"""
from . import function
from .tensor import Tensor, seed_gradient


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` (weighted by ``grad_outputs``) with respect to ``inputs``.

    ``outputs`` / ``inputs``: a Tensor or a sequence of them.  ``grad_outputs``: one per
    output (None: 1 for a one-element output).  Returns a tuple with one Tensor per input;
    an input the outputs do not depend on raises unless ``allow_unused=True`` (then None).
    ``retain_graph`` defaults to ``create_graph``, as torch.
    """
    outputs = _as_tuple(outputs, 'outputs')
    inputs = _as_tuple(inputs, 'inputs')
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"autograd.grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for k, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {k} (shape {t.shape}) does not require grad")
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"autograd.grad: output {k} (shape {out.shape}) does not require grad "
                               "and has no graph")
    seeds = [seed_gradient(o, g, 'autograd.grad', create_graph) for o, g in zip(outputs, grad_outputs)]
    # where each input's gradient arrives: its op's output, or its leaf accumulator
    edges = [function._edge(t) for t in inputs]  # (held here, so the accumulators stay alive)
    capture = {}
    for k, (node, number) in enumerate(edges):
        capture.setdefault((id(node), number), k)
    captured = function.backward(list(outputs), seeds, create_graph=create_graph, capture=capture,
                                 retain_graph=create_graph if retain_graph is None else retain_graph)
    results = []
    for k, (node, number) in enumerate(edges):
        g = captured.get(capture[(id(node), number)])
        if g is None and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {k} (shape {inputs[k].shape}) was not used to compute "
                               "the outputs; pass allow_unused=True to get None for it")
        results.append(None if g is None else (g if isinstance(g, Tensor) else Tensor(g)))
    return tuple(results)


def _as_tuple(value, what):
    items = (value,) if isinstance(value, Tensor) else tuple(value)
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"autograd.grad: {what} must be a Tensor or a non-empty sequence of Tensors")
    return items
