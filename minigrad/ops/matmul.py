"""Matrix product, batched with NumPy's ``matmul`` broadcasting rules."""
from ..backend import get_array_module
from ..function import Function


class MatMul(Function):
    """z = a @ b.

    Shapes (…, n, k) @ (…, k, m) -> (…, n, m), leading axes broadcast; a 1-D
    ``a`` is a row vector and a 1-D ``b`` a column vector (then dropped).
    Gradients: dL/da = g @ bᵀ,  dL/db = aᵀ @ g (leading axes summed back by the engine).
    """

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
        xp = get_array_module(grad)
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
        # xp.swapaxes(m, -1, -2) transposes the last two axes of a batch of matrices.
        # END PROMPT
        if ctx.needs_input_grad[0]:
            b2 = b[:, None] if ctx.b_ndim == 1 else b
            ga = xp.matmul(grad, xp.swapaxes(b2, -1, -2))
            if ctx.a_ndim == 1:
                ga = ga[..., 0, :]
        if ctx.needs_input_grad[1]:
            a2 = a[None, :] if ctx.a_ndim == 1 else a
            gb = xp.matmul(xp.swapaxes(a2, -1, -2), grad)
            if ctx.b_ndim == 1:
                gb = gb[..., 0]
        # END SOLUTION
        return ga, gb
