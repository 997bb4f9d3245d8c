"""Lesson 1 in quick mode: the slide's receptive-field and memory numbers."""
import pytest

pytest.importorskip('matplotlib')

from lessons import l01_stacking_convolutions as lesson  # noqa: E402


def test_l01_slide_numbers(run_quick):
    r = run_quick(lesson)
    assert r['rf_100_layers'] == 201 and r['layers_to_reach_200'] == 100
    assert round(r['mib_per_layer'], 2) == 122.07 and round(r['gib_total'], 1) == 238.4
    assert r['empirical_rf'] == {'2': 5, '5': 11, '10': 21}
