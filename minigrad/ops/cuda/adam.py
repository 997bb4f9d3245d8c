"""The Adam update as one CUDA kernel: the CUDA twin of :func:`minigrad.optim.adam_update`.

The plain update is a chain of about a dozen element-wise array operations, each
a kernel launch and a pass over memory on a GPU; this is the same arithmetic,
in the same order and precision, in one pass (CuPy's ``ElementwiseKernel`` writes
the loop: ``operation`` is the body for element i, the output parameters are
references to that element of p, m, v and, with amsgrad, v_max).
"""
from ...backend import get_array_module
from . import elementwise_kernel

#: One element's step; each line is a line of the plain adam_update.  The coefficients come
#: in as T (the arrays' type), already combined as the plain code combines them on the host.
ADAM_STEP = '''
    m += one_minus_beta1 * (g - m);                       // m <- b1 m + (1 - b1) g
    v += one_minus_beta2 * (g * g - v);                   // v <- b2 v + (1 - b2) g^2
    {amsgrad}
    p -= step_size * (m / (sqrt({denominator}) / bias2_sqrt + eps));
'''
#: xp.maximum(v_max, v), NaN included (CUDA's max() would drop a NaN).
AMSGRAD = 'v_max = (isnan(v) || v > v_max) ? v : v_max;'
INPUTS = 'T g, T one_minus_beta1, T one_minus_beta2, T step_size, T bias2_sqrt, T eps'
#: name -> (in_params, out_params, operation): the kernels of this twin (also compile-checked by NVRTC).
ELEMENTWISE_KERNELS = {
    'adam_step': (INPUTS, 'T p, T m, T v', ADAM_STEP.format(amsgrad='', denominator='v')),
    'adam_amsgrad_step': (INPUTS, 'T p, T m, T v, T v_max', ADAM_STEP.format(amsgrad=AMSGRAD, denominator='v_max')),
}


def adam_update(p, g, m, v, v_max, coefficients):
    """One Adam step in place (see the plain ``minigrad.optim.adam_update``): one launch."""
    xp = get_array_module(p)
    beta1, beta2, step_size, bias2_sqrt, eps = coefficients
    name = 'adam_step' if v_max is None else 'adam_amsgrad_step'   # amsgrad: the denominator never shrinks
    kernel = elementwise_kernel(xp, *ELEMENTWISE_KERNELS[name], name)
    outputs = (p, m, v) if v_max is None else (p, m, v, v_max)
    kernel(g, 1 - beta1, 1 - beta2, step_size, bias2_sqrt, eps, *outputs)
