"""``torch.nn.utils``'s gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``.

Called between ``loss.backward()`` and ``opt.step()``; both change every ``p.grad``
in place.  Norm clipping scales ALL the gradients by one factor, so the update keeps
its direction and only its length is capped:

    total = ‖(‖g₁‖, ‖g₂‖, …)‖_p  (the p-norm of all gradients as one vector)
    gᵢ ← gᵢ · min(1, max_norm / (total + 1e-6))
"""
import math

from ..creation import stack, tensor
from ..function import no_grad
from ..tensor import Tensor


def _grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so that their total ``norm_type``-norm is at most ``max_norm``
    (module docstring); returns the total norm before clipping, a 0-d Tensor.  A non-finite
    total raises with ``error_if_nonfinite=True`` (else the gradients become NaN, as torch)."""
    grads = _grads(parameters)
    if not grads:
        return tensor(0.0)
    norm_type = float(norm_type)
    with no_grad():
        total = stack([g.norm(norm_type) for g in grads]).norm(norm_type)
        if error_if_nonfinite and not math.isfinite(float(total)):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                               f"non-finite ({float(total)}), so it cannot be clipped; pass "
                               "error_if_nonfinite=False to clip anyway")
        scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
