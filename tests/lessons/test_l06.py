"""Lesson 6 in quick mode: L1 against cGAN + L1 on stripes whose phase is random, the measures, and the
PatchGAN's receptive field; plus the controlled data set and its measures on hand-made outputs."""
import numpy as np
import pytest

from lessons.textures import AMPLITUDE, LEVEL, reference_outputs, stripe, stripe_scores, striped_regions


@pytest.fixture(scope='module')
def data():
    return striped_regions(16, np.random.default_rng(3))


def test_striped_regions_labels_say_where_and_which_way_not_the_phase(data):
    assert data.x.shape == (16, 2, 32, 32) and data.y.shape == (16, 1, 32, 32)
    assert set(np.unique(data.x)) == {-1.0, 1.0}
    for i in range(16):
        for k in range(2):
            box = data.regions[i] == k + 1
            cols = np.nonzero(box.any(0))[0]
            assert (cols < 16).all() if k == 0 else (cols >= 16).all()           # one rectangle per half
            o = data.orientation[i, k]
            assert (data.x[i, o][box] == 1).all() and (data.x[i, 1 - o][box] == -1).all()
            want = stripe(32, 4, o, data.phase[i, k])[box]
            np.testing.assert_allclose(data.y[i, 0][box], want, atol=1e-6)
        assert (data.y[i, 0][data.regions[i] == 0] == -1).all()
        assert (data.x[i][:, data.regions[i] == 0] == -1).all()
    # The same generator draws the same set; the phase is spread over the circle.
    again = striped_regions(16, np.random.default_rng(3))
    np.testing.assert_array_equal(again.y, data.y)
    assert np.abs(np.exp(1j * data.phase).mean()) < 0.4


def test_stripe_measures_count_only_stripes_of_the_labelled_orientation(data):
    truth = stripe_scores(data.y, data)
    assert truth['stripe_energy'] == pytest.approx(1.0) and truth['orientation'] > 0.999
    assert 0.7 < truth['right_kind'] < 0.9 and truth['region_l1'] == 0
    refs = {k: stripe_scores(v, data) for k, v in reference_outputs(data).items()}
    flat, grid, checker = refs['flat (the L1 optimum)'], refs['grid (both ways)'], refs['checkerboard']
    assert flat['stripe_energy'] == 0 and flat['right_kind'] == 0
    # The per-pixel median of 0.1 + 0.8 sin(θ), θ uniform, is 0.1; its mean error is 0.8 · 2/π.
    assert flat['region_l1'] == pytest.approx(AMPLITUDE * 2 / np.pi, abs=0.02)
    assert grid['orientation'] == pytest.approx(0.5, abs=0.02)
    assert grid['stripe_energy'] == pytest.approx(0.25, abs=0.02)
    assert checker['stripe_energy'] < 0.01 and checker['right_kind'] < 0.01
    # A right-kind stripe with the wrong phase: all the stripe energy, and a larger L1 error than flat.
    shifted = data.y.copy()
    for i in range(16):
        for k in range(2):
            box = data.regions[i] == k + 1
            shifted[i, 0][box] = stripe(32, 4, data.orientation[i, k], data.phase[i, k] + np.pi / 2)[box]
    moved = stripe_scores(shifted, data)
    assert moved['stripe_energy'] == pytest.approx(1.0, abs=0.01) and moved['orientation'] > 0.999
    assert moved['region_l1'] > flat['region_l1'] and LEVEL == pytest.approx(0.1)


def test_l06_pix2pix_quick(run_quick):
    pytest.importorskip('matplotlib')
    from lessons import l06_pix2pix as lesson
    r = run_quick(lesson)
    assert {'stripes_samples.png', 'stripes_measures.png', 'stripes_patch_maps.png',
            'stripes_loss_curves.png', 'patchgan_receptive_field.png'} <= set(r['figures'])
    # The PatchGAN with n_layers=2 sees 34x34 pixels (4 -> 10 -> 22 -> 34), and the gradient says so.
    assert r['patchgan_receptive_field'] == 34
    assert r['measured_rows'][1] - r['measured_rows'][0] + 1 == 34
    assert r['measured_cols'][1] - r['measured_cols'][0] + 1 == 34
    l1, gan = r['stripes']['L1 only'], r['stripes']['cGAN + L1']
    refs = r['reference_scores']
    assert l1['stripe_energy'] < 0.2 and gan['stripe_energy'] >= 0.5
    assert gan['orientation'] >= 0.7 and gan['right_kind'] >= 0.4 > l1['right_kind']
    # L1 alone lands near the median's error; the cGAN pays >= 5 % more.
    assert abs(l1['region_l1'] - refs['flat (the L1 optimum)']['region_l1']) < 0.06
    assert gan['region_l1'] >= 1.05 * l1['region_l1']
    # The Laplacian energy rewards a checkerboard; the stripe measures do not.
    assert refs['checkerboard']['laplacian_R'] > 4 and refs['checkerboard']['right_kind'] < 0.01
    assert r['stripes_D']['real'] - r['stripes_D']['L1 only'] >= 0.2
    margins = {c['claim']: c['margin'] for c in r['claims'] if 'margin' in c}
    assert len(margins) == 6 and min(margins.values()) > 0
    assert 'facades' not in r and r['settings']['real'] is None   # quick mode: the controlled experiment only
