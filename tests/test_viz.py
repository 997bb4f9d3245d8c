"""minigrad.viz: grids have the right layout and values, the PNG writer round-trips, plots get written."""
import zlib

import numpy as np
import pytest

import minigrad as mg
from minigrad import viz


def _read_png(path):
    """Minimal PNG reader for what save_png writes (8-bit, filter 0, one IDAT)."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, chunks = 8, {}
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], 'big')
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        crc = int.from_bytes(data[pos + 8 + n:pos + 12 + n], 'big')
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        chunks[kind] = body
        pos += 12 + n
    w, h = int.from_bytes(chunks[b'IHDR'][:4], 'big'), int.from_bytes(chunks[b'IHDR'][4:8], 'big')
    channels = {0: 1, 2: 3, 6: 4}[chunks[b'IHDR'][9]]
    raw = np.frombuffer(zlib.decompress(chunks[b'IDAT']), np.uint8).reshape(h, 1 + w * channels)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, channels) if channels > 1 else raw[:, 1:]


def test_png_round_trip(tmp_path, rng):
    img = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    back = _read_png(viz.save_png(img, tmp_path / 'a.png'))
    np.testing.assert_array_equal(back, img)
    grey = rng.random((4, 3))
    np.testing.assert_array_equal(_read_png(viz.save_png(grey, tmp_path / 'g.png')),
                                  (grey * 255 + 0.5).astype(np.uint8))
    with pytest.raises(ValueError, match='save_png'):
        viz.save_png(np.zeros((2, 2, 5)), tmp_path / 'bad.png')


def test_to_images_ranges_and_channels():
    x = mg.tensor(np.array([[[[-1.0, 0.0], [1.0, 0.5]]]], np.float32))  # (1, 1, 2, 2), signed -> [-1, 1]
    out = viz.to_images(x)
    assert out.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(out[0, :, :, 0], [[0.0, 0.5], [1.0, 0.75]])
    np.testing.assert_allclose(viz.to_images(np.full((3, 2, 2), 0.25))[0, 0, 0], [0.25] * 3)
    np.testing.assert_allclose(viz.to_images(np.full((1, 1, 1, 1), 5.0), value_range=(0, 10)).ravel(), 0.5)
    labels = np.array([[[0, 1], [2, 1]]])
    np.testing.assert_allclose(viz.to_images(labels)[0, 0, 1], viz.PALETTE[1])
    with pytest.raises(ValueError, match='C = 1 or 3'):
        viz.to_images(np.zeros((1, 2, 4, 4)))


def test_make_grid_layout():
    a = np.zeros((3, 1, 2, 2), np.float32)
    a[1] = 1.0
    grid = viz.make_grid(a, nrow=2, padding=1, pad_value=0.5)
    assert grid.shape == (2 * 3 + 1, 2 * 3 + 1, 3)
    assert grid[1, 1, 0] == 0.0 and grid[1, 4, 0] == 1.0 and grid[0, 0, 0] == 0.5
    assert grid[4, 4, 0] == 0.5  # the empty fourth cell keeps the pad value
    cols = viz.make_grid([a, 1 - a], padding=0)  # columns: a | 1 - a
    assert cols.shape == (6, 4, 3)
    np.testing.assert_allclose(cols[:2, :2, 0] + cols[:2, 2:, 0], 1.0)
    with pytest.raises(ValueError, match='different lengths'):
        viz.make_grid([a, a[:2]])


def test_plots_write_pngs(tmp_path):
    pytest.importorskip('matplotlib')
    imgs = [np.random.default_rng(0).random((2, 3, 8, 8)) * 2 - 1 for _ in range(3)]
    p = viz.save_image_grid(imgs, tmp_path / 'sub' / 'grid.png', titles=['input', 'output', 'target'])
    assert open(p, 'rb').read(4) == b'\x89PNG'
    log = [{'step': i, 'loss_G': 1.0 / (i + 1), 'loss_D': 0.7} for i in range(20)]
    assert viz.plot_losses(log, tmp_path / 'log.png', smooth=3).exists()
    assert viz.plot_losses({'train_loss': [3, 2, 1], 'val_loss': [3, 2.5, 2]}, tmp_path / 'h.png').exists()
    with pytest.raises(ValueError, match='no numeric series'):
        viz.plot_losses({'a': [1.0]}, tmp_path / 'x.png', keys=['b'])
    assert viz.plot_feature_maps(np.random.default_rng(1).random((1, 5, 6, 6)), tmp_path / 'f.png').exists()
    pts = np.random.default_rng(2).random((30, 2))
    assert viz.scatter(pts, tmp_path / 's.png', labels=np.arange(30) % 3, title='t-SNE').exists()
