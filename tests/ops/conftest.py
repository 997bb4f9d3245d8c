"""Every test in tests/ops runs twice: on the plain kernels and on their CPU-tuned twins."""
import pytest

from minigrad import backend


@pytest.fixture(autouse=True, params=['plain', 'fast'])
def kernels(request):
    """'plain' or 'fast': which kernel set the test runs on (see minigrad.ops.kernels)."""
    previous = backend.use_fast_kernels(request.param == 'fast')
    yield request.param
    backend.use_fast_kernels(previous)


@pytest.fixture
def fast_only(kernels):
    """For tests of a fast kernel's own machinery (chunks, scratch): run them once."""
    if kernels != 'fast':
        pytest.skip('checks the fast kernels only')
