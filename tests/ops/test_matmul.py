"""Batched matmul with broadcasting, 1-D operands, values and gradchecks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, t64

CASES = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (6, 4, 2)),
         ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3))]


@pytest.mark.parametrize('sa,sb', CASES)
def test_matmul(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    assert_close(t64(a) @ t64(b), a @ b, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: x @ y, [t64(a), t64(b)])


def test_matmul_shape_error():
    with pytest.raises(ValueError, match=r'matmul: shapes \(3, 4\) and \(5, 2\)'):
        t64(np.ones((3, 4))) @ t64(np.ones((5, 2)))
