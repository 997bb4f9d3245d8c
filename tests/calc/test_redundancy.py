"""Sliding-window redundancy: formulas against literal enumeration of every window."""
import importlib

import numpy
import pytest

from minigrad import calc

R = importlib.import_module('minigrad.calc.redundancy')   # the module (calc.redundancy is the function)


@pytest.mark.parametrize('patch', [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize('size', [(9, 9), (6, 11)])
@pytest.mark.parametrize('centers', ['all', 'valid'])
def test_coverage_formula_equals_enumeration(patch, size, centers):
    formula = R.coverage(size, patch, centers)
    assert numpy.array_equal(formula, R.enumerate_coverage(size, patch, centers))
    if centers == 'all' and min(size) >= 3 * patch:
        assert formula[size[0] // 2, size[1] // 2] == patch * patch   # interior: P^2


@pytest.mark.parametrize('n', [1, 2, 3, 4])
def test_slide_answer_2n_minus_1_squared(n):
    p = 2 * n - 1
    report = calc.redundancy(p, 6 * p)
    assert report.interior_coverage == (2 * n - 1) ** 2
    assert report.coverage_map[3 * p, 3 * p] == (2 * n - 1) ** 2
    assert report.min_coverage == n * n           # a corner pixel: only n x n windows reach it
    assert report.mean_coverage < report.interior_coverage or n == 1


@pytest.mark.parametrize('kernel, stride, padding, dilation', [(3, 1, 0, 1), (3, 1, 1, 1), (2, 2, 0, 1),
                                                               (3, 1, 2, 2), (5, 2, 2, 1)])
def test_filterings_formula_equals_enumeration(kernel, stride, padding, dilation):
    patch, size = 5, (9, 8)
    c = R.placements(patch, kernel, stride, padding, dilation)
    formula = numpy.outer(*(R.axis_filterings(n, patch, c) for n in size))
    empirical = R.enumerate_filterings(size, patch, kernel, stride, padding, dilation)
    assert numpy.array_equal(formula, empirical)


def test_unpadded_conv_refilters_every_pixel():
    # an unpadded k x k conv in P x P windows filters an interior pixel (k(P-k+1))^2 times,
    # a single fully convolutional pass k^2 times
    report = calc.redundancy(7, 30, 'conv3p0c8')
    assert report.interior_filterings == (3 * 5) ** 2 and report.single_pass_filterings == 9
    padded = calc.redundancy(7, 30, 'conv3c8*3')
    assert padded.sliding_macs == padded.window_macs * 30 * 30
    assert padded.sliding_macs / padded.full_macs == pytest.approx(49)   # same-padded: exactly P^2
    assert 'sliding / fully convolutional' in str(padded)
