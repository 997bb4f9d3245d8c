"""Matrix product, batched with NumPy's ``matmul`` broadcasting rules.

The backward is two more matrix products (``MatMul.apply``) of the gradient with a
transposed operand (``Permute.apply``), so on Tensors it records a graph of its own:
the second derivative of a product is again a product (``create_graph=True``).
"""
from ..backend import get_array_module
from ..function import Function
from .shape import Permute


class MatMul(Function):
    """z = a @ b.

    Shapes (…, n, k) @ (…, k, m) -> (…, n, m), leading axes broadcast; a 1-D
    ``a`` is a row vector and a 1-D ``b`` a column vector (then dropped).
    Gradients: dL/da = g @ bᵀ,  dL/db = aᵀ @ g (leading axes summed back by the engine).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        xp = get_array_module(a, b, op='matmul')
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not align "
                             "(last axis of the first must equal the second-to-last of the second)")
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        ctx.a_ndim, ctx.b_ndim = a.ndim, b.ndim
        return xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        # Promote 1-D operands to matrices (a row, b a column) so one formula covers every case.
        if ctx.b_ndim == 1:
            grad = grad[..., None]
        if ctx.a_ndim == 1:
            grad = grad[..., None, :]
        ga = gb = None
        # BEGIN SOLUTION a1_matmul_backward
        # BEGIN PROMPT
        # Compute ga (only if ctx.needs_input_grad[0]) and gb (only if ctx.needs_input_grad[1]).
        # Treat a 1-D a as a row a[None, :] and a 1-D b as a column b[:, None], as grad was above;
        # each gradient must have its input's shape, so drop that added axis again at the end.
        # Write it with MatMul.apply and _swap_last (below), so that it also runs on Tensors.
        # END PROMPT
        if ctx.needs_input_grad[0]:
            b2 = b[:, None] if ctx.b_ndim == 1 else b
            ga = MatMul.apply(grad, _swap_last(b2))
            if ctx.a_ndim == 1:
                ga = ga[..., 0, :]
        if ctx.needs_input_grad[1]:
            a2 = a[None, :] if ctx.a_ndim == 1 else a
            gb = MatMul.apply(_swap_last(a2), grad)
            if ctx.b_ndim == 1:
                gb = gb[..., 0]
        # END SOLUTION
        return ga, gb


def _swap_last(m):
    """m with its last two axes swapped (a batch of transposed matrices), array or Tensor."""
    dims = list(range(m.ndim))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return Permute.apply(m, dims=tuple(dims))
