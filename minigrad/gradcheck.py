"""Check an op's analytic gradient against central finite differences.

For a function f of tensors x₁…x_k with output y, pick a fixed random
cotangent v and look at the scalar L = Σ v ⊙ f(x).  Backward gives ∂L/∂x
analytically; numerically each element is

    ∂L/∂x[i] ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε        (error O(ε²)).

Both must agree within ``atol + rtol·|numeric|`` for every element.  Using a
random v checks the whole vector–Jacobian product that backward implements at
the cost of two forward passes per input element.  Use float64 inputs: in
float32 the rounding error of the difference swamps ε.
"""
import numpy

from .backend import get_array_module, to_numpy
from .function import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` with the worst element's details."""

    def __init__(self, message, worst):
        super().__init__(message)
        self.worst = worst


def _evaluate(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """Compare analytic and numeric gradients of ``fn(*inputs)``.

    ``inputs``: Tensors; those with ``requires_grad=True`` are checked (they
    should be float64).  ``fn`` returns a Tensor (or a tuple of Tensors).
    Returns True, or raises :class:`GradcheckError` naming the input, the index
    of the worst element, the analytic and numeric values and their relative
    error (with ``raise_exception=False``, returns False instead).
    """
    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != numpy.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 "
                            "(finite differences in float32 are too noisy)")
    rng = numpy.random.default_rng(seed)
    outs = _evaluate(fn, inputs)
    cotangents = [rng.standard_normal(o.shape) for o in outs]

    def loss_value():
        with no_grad():
            return sum(float((to_numpy(o.array) * v).sum()) for o, v in zip(_evaluate(fn, inputs), cotangents))

    for i in checked:
        inputs[i].grad = None
    # Seed each output's backward with its cotangent directly (no extra ops in the graph,
    # so checking an op never depends on other ops' backward being right).
    live = [(o, v) for o, v in zip(outs, cotangents) if o.requires_grad]
    for k, (o, v) in enumerate(live):
        o.backward(v.astype(o.dtype), retain_graph=k < len(live) - 1)

    worst = None
    for i in checked:
        t = inputs[i]
        analytic = to_numpy(t.grad.array) if t.grad is not None else numpy.zeros(t.shape)
        numeric = numpy.zeros(t.shape)
        xp = get_array_module(t.array)
        t.array = xp.ascontiguousarray(t.array).reshape(t.shape)  # (0-d stays 0-d)
        flat = t.array.reshape(-1)  # a view: writing into it perturbs the input in place
        for k in range(flat.size):
            original = flat[k].item()
            flat[k] = original + eps
            plus = loss_value()
            flat[k] = original - eps
            minus = loss_value()
            flat[k] = original
            numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
        err = numpy.abs(analytic - numeric)
        excess = err - (atol + rtol * numpy.abs(numeric))
        if excess.size and (worst is None or excess.max() > worst['excess']):
            k = numpy.unravel_index(int(excess.argmax()), excess.shape)
            worst = dict(input=i, index=tuple(int(j) for j in k), analytic=float(analytic[k]),
                         numeric=float(numeric[k]), excess=float(excess.max()),
                         rel_error=float(err[k] / max(abs(numeric[k]), 1e-12)))
    if worst is not None and worst['excess'] > 0:
        message = (f"gradcheck failed: input {worst['input']} at index {worst['index']}: "
                   f"analytic {worst['analytic']:.6g} vs numeric {worst['numeric']:.6g} "
                   f"(relative error {worst['rel_error']:.3g}, atol={atol}, rtol={rtol})")
        if raise_exception:
            raise GradcheckError(message, worst)
        return False
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """Check second derivatives: :func:`gradcheck` of the gradient itself.

    The function checked is ``(x, v) -> ∂(Σ v ⊙ fn(x))/∂x`` computed by
    ``autograd.grad(..., create_graph=True)`` for fixed random cotangents ``v``
    (checked too: the gradient is linear in v).  This exercises every op's
    backward run on Tensors, i.e. the graph that ``create_graph=True`` records.
    """
    from . import autograd
    inputs = list(inputs)
    wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not wanted:
        raise ValueError("gradgradcheck: no input has requires_grad=True")
    rng = numpy.random.default_rng(seed + 1)
    outs = [o for o in _evaluate(fn, inputs) if o.requires_grad]
    cotangents = [Tensor(get_array_module(o.array).asarray(rng.standard_normal(o.shape)), requires_grad=True)
                  for o in outs]
    n = len(inputs)

    def first_derivatives(*args):
        xs = list(args[:n])
        with enable_grad():  # gradcheck evaluates under no_grad; the inner backward needs a graph
            ys = [o for o in _evaluate(fn, xs) if o.requires_grad]
            grads = autograd.grad(ys, [x for x in xs if isinstance(x, Tensor) and x.requires_grad],
                                  list(args[n:]), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    return gradcheck(first_derivatives, inputs + cotangents, eps=eps, atol=atol, rtol=rtol, seed=seed,
                     raise_exception=raise_exception)
