"""Lesson 5: the controlled ambiguous-colour data, and the lesson in quick mode."""
import numpy as np
import pytest

from lessons import ambiguous_colors as ambiguous
from minigrad import color


def test_ambiguous_colours_hide_the_disc_colour_from_L():
    L, ab, kind, disc_colour = ambiguous.make_images(600, 32, seed=(3, 0))
    assert L.shape == (600, 1, 32, 32) and ab.shape == (600, 2, 32, 32) and kind.shape == (600, 32, 32)
    assert L.dtype == ab.dtype == np.float32
    disc, square, background = (kind == ambiguous.DISC), (kind == ambiguous.SQUARE), (kind == 0)
    assert disc.any(axis=(1, 2)).all() and square.any(axis=(1, 2)).all()  # one of each per image
    # every disc, whatever its colour, has the same flat lightness: L cannot tell the colours apart
    assert np.all(L[:, 0][disc] == ambiguous.DISC_L) and np.all(L[:, 0][square] == ambiguous.SQUARE_L)
    chroma = np.hypot(ab[:, 0], ab[:, 1])
    np.testing.assert_allclose(chroma[disc | square], ambiguous.CHROMA, rtol=1e-5)
    assert np.all(ab.transpose(1, 0, 2, 3)[:, background] == 0)
    # the square is always purple; each disc's ab is the palette colour it was drawn with
    np.testing.assert_allclose(ab.transpose(1, 0, 2, 3)[:, square].T - ambiguous.hue_ab(ambiguous.SQUARE_HUE), 0,
                               atol=1e-5)
    palette = np.stack([ambiguous.hue_ab(h) for _, h, _ in ambiguous.DISC_PALETTE])
    i, y, x = np.argwhere(disc)[::50].T
    np.testing.assert_allclose(ab[i, :, y, x], palette[disc_colour[i]], atol=1e-5)
    # the colours come with the palette's probabilities (600 draws: within 4 standard errors)
    shares = np.bincount(disc_colour, minlength=3) / len(disc_colour)
    probs = np.array([p for *_, p in ambiguous.DISC_PALETTE])
    assert np.all(np.abs(shares - probs) < 4 * np.sqrt(probs * (1 - probs) / len(disc_colour)))
    # the sRGB gamut holds every object colour (no clipping in the pictures)
    rgb = color.lab_to_rgb(np.concatenate([L, ab], axis=1), clip=False)
    assert rgb.min() > -1e-4 and rgb.max() < 1 + 1e-4
    # same seed, same images
    L2, ab2, kind2, colour2 = ambiguous.make_images(600, 32, seed=(3, 0))
    assert np.array_equal(L, L2) and np.array_equal(ab, ab2) and np.array_equal(disc_colour, colour2)


def test_pure_cells_are_the_blocks_wholly_inside_an_object():
    kind = np.zeros((1, 8, 8), np.uint8)
    kind[0, 1:7, 0:5] = 1                     # rows 1..6, columns 0..4
    cells = ambiguous.pure_cells(kind, 1, 2)  # 2x2 blocks: rows (0,1) (2,3) (4,5) (6,7), columns likewise
    expected = np.zeros((1, 4, 4), bool)
    expected[0, 1:3, 0:2] = True
    assert np.array_equal(cells, expected)


def test_the_optimal_answers_on_a_disc():
    mean = ambiguous.palette_mean()           # 0.6 red + 0.2 green + 0.2 blue
    np.testing.assert_allclose(mean, [0.4 * 45 * np.cos(np.radians(30)), 0.4 * 45 * np.sin(np.radians(30))],
                               atol=1e-4)     # green + blue = -red: the mean is 0.4 x red
    # the classifier's optimum decodes (T = 1) to nearly the same chroma; annealing sharpens it towards red
    ideal = {T: ambiguous.ideal_disc_chroma(T=T) for T in (1.0, 0.38, 0.1)}
    assert ideal[1.0] == pytest.approx(np.hypot(*mean), abs=0.3)
    assert ideal[1.0] < ideal[0.38] < ideal[0.1] <= ambiguous.ideal_disc_chroma('mode')
    assert ideal[0.38] == pytest.approx(38.7, abs=0.1)
    assert ambiguous.ideal_disc_chroma('mode') == pytest.approx(np.hypot(40, 20))  # the bin centre nearest red


@pytest.mark.slow
def test_l05_colorization_quick(run_quick):
    pytest.importorskip('matplotlib')
    pytest.importorskip('skimage')
    from lessons import l05_colorization as lesson
    saved = run_quick(lesson)
    c = saved['controlled']
    ratio = c['chroma_over_truth']
    l2 = ratio['L2 regression']
    # L2 is dull exactly where the colour is ambiguous, and vivid where it is not
    assert l2['disc'] < 0.6 and l2['square'] > 2 * l2['disc']
    # decoding: the mean is as dull as L2, then chroma grows monotonically as T falls to the mode
    disc = [ratio[f'T = {T}']['disc'] for T in lesson.TEMPERATURES] + [ratio['mode']['disc']]
    assert disc[0] < 0.6 < ratio['T = 0.38']['disc'] and all(a < b + 1e-3 for a, b in zip(disc, disc[1:]))
    assert 0.85 < ratio['mode']['disc'] <= np.hypot(40, 20) / 45 + 1e-6
    # the mode paints nearly every disc red, the likeliest colour; the truth has 60 % red discs
    assert c['disc_colours_mode']['red'] > 0.8 and abs(c['disc_colours_truth']['red'] - 0.6) < 0.15
    assert sum(c['disc_colours_truth'].values()) == pytest.approx(1)
    assert c['ideal_classifier_disc_chroma']['T = 0.38'] == pytest.approx(38.7, abs=0.1)
    np.testing.assert_allclose(c['palette_mean_ab'], ambiguous.palette_mean(), rtol=1e-6)
    p = saved['photos']
    assert p['bins'] == 261
    lo, hi = p['weight_range']
    assert 0 < lo < 1 < hi  # rare colours weighted up, common ones down
    assert all(v > 0 for v in p['ab_rmse_held_out'].values())
    assert set(p['held_out']) == {'L2 regression', 'classification', 'ground truth'}
    assert all(claim['margin'] is not None for claim in saved['claims'])
    # the photo comparisons are recorded, never asserted: the seed decides them at these sizes
    assert [claim['asserted'] for claim in saved['claims']] == [True, True, False] + [True] * 5 + [False] * 3
    assert saved['slides'][0] == "Regressing to pixel values doesn't work 😞"
    assert set(saved['figures']) == {'ambiguous_colours.png', 'ab_bins_prior_weights.png',
                                     'photo_colorizations.png', 'photo_losses_and_temperature.png'}
