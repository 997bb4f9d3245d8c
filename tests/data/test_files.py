"""Bad input to the dataset readers (issue 20): every image mode at its own bit depth, files that are
truncated, corrupt, too large or replaced after indexing, non-integer sizes, and NaN in resize."""
import numpy as np
import pytest

from minigrad import data as D
from minigrad.data import transforms as T

Image = pytest.importorskip('PIL.Image')


def folder(tmp_path, images, ext='png'):
    """A pix2pix folder with one file per (name, PIL image)."""
    (tmp_path / 'train').mkdir(exist_ok=True)
    for name, im in images.items():
        im.save(tmp_path / 'train' / f'{name}.{ext}')
    return tmp_path


def test_16_bit_greyscale_keeps_its_range(tmp_path):
    grey = (np.arange(8 * 16).reshape(8, 16) * 500).astype(np.uint16)      # up to 63,500: far above 255
    root = folder(tmp_path, {'a': Image.fromarray(grey)})
    a, b = D.AlignedImageFolder(root)[0]
    want = grey / 65535.0 * 2 - 1
    np.testing.assert_allclose(a, np.repeat(want[None, :, :8], 3, 0), atol=1e-6)   # was clipped: error 1.99
    np.testing.assert_allclose(b, np.repeat(want[None, :, 8:], 3, 0), atol=1e-6)


@pytest.mark.parametrize('make', [
    lambda: D.AlignedImageFolder('.', size=2.7),
    lambda: D.ProceduralFacades(2, size=32.7),
    lambda: D.ProceduralMaps(2, size=40.0),
    lambda: D.SyntheticShapes(2, size=32.5),
    lambda: T.Resize(2.7),
    lambda: T.RandomCrop((8, 8.5)),
])
def test_sizes_must_be_ints(make):
    with pytest.raises((TypeError, ValueError), match='size|int'):            # was silently truncated to 2
        make()


def test_a_file_replaced_after_indexing_is_named(tmp_path):
    root = folder(tmp_path, {'a': Image.new('RGB', (64, 32))})
    ds = D.AlignedImageFolder(root)
    Image.new('RGB', (65, 32)).save(root / 'train' / 'a.png')               # odd width, after indexing
    with pytest.raises(ValueError, match=r'a\.png is 65x32.*changed'):       # was (3,32,32) vs (3,32,33)
        ds[0]


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_truncated_files_are_named_and_found_up_front_with_verify(tmp_path, ext):
    noise = np.random.default_rng(0).integers(0, 256, (32, 64, 3), dtype=np.uint8)
    root = folder(tmp_path, {'a': Image.fromarray(noise)}, ext)
    path = root / 'train' / f'a.{ext}'
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    ds = D.AlignedImageFolder(root)                                       # the header is intact
    with pytest.raises(ValueError, match=rf'a\.{ext}.*truncated'):        # was PIL's OSError, no file name
        ds[0]
    with pytest.raises(ValueError, match=rf'a\.{ext}.*truncated'):
        D.AlignedImageFolder(root, verify=True)


def test_corrupt_and_bomb_files_are_named(tmp_path, monkeypatch):
    root = folder(tmp_path, {'a': Image.new('RGB', (64, 32))})
    (root / 'train' / 'b.png').write_bytes(b'\x89PNG\r\n\x1a\n not really')
    with pytest.raises(ValueError, match=r'cannot read .*b\.png'):
        D.AlignedImageFolder(root)
    (root / 'train' / 'b.png').unlink()
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 500)                   # 64 x 32 is over twice that
    with pytest.raises(ValueError, match=r'a\.png is too large to decode safely'):
        D.AlignedImageFolder(root)


def test_resize_keeps_a_nan_local():
    img = np.ones((1, 1, 16, 16), np.float32)
    img[0, 0, 3, 3] = np.nan
    for size, antialias, nans in ((8, True, 4), (8, False, 1), (40, False, 25)):
        out = T.resize(img, size, antialias=antialias)
        assert np.isnan(out).sum() == nans                                # was all 64 / 1600
        np.testing.assert_allclose(out[~np.isnan(out)], 1.0, rtol=1e-6)


def test_resize_nan_pattern_matches_torch():
    torch = pytest.importorskip('torch')
    img = np.random.default_rng(0).random((1, 2, 16, 12)).astype(np.float32)
    img[0, 1, 5, 7] = np.nan
    for size, antialias in (((40, 30), False), ((8, 5), True), ((11, 7), True), ((8, 6), False)):
        want = torch.nn.functional.interpolate(torch.tensor(img), size=size, mode='bilinear',
                                               align_corners=False, antialias=antialias).numpy()
        got = T.resize(img, size, antialias=antialias)
        assert (np.isnan(got) == np.isnan(want)).all()
        np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(want), atol=2e-6)


hypothesis = pytest.importorskip('hypothesis')
from hypothesis import given, settings, strategies as st  # noqa: E402


def _image(mode, h, rng):
    """A random (2h wide, h high) PIL image in ``mode`` and its exact RGB values in [0, 1]."""
    w = 2 * h
    if mode == '1':
        bits = rng.random((h, w)) < 0.5
        return Image.fromarray(bits), np.repeat(bits[None].astype(float), 3, 0)
    if mode == 'I;16':
        v = rng.integers(0, 65536, (h, w)).astype(np.uint16)
        return Image.fromarray(v), np.repeat(v[None] / 65535.0, 3, 0)
    if mode == 'P':
        idx, palette = rng.integers(0, 8, (h, w)).astype(np.uint8), rng.integers(0, 256, (256, 3), dtype=np.uint8)
        im = Image.fromarray(idx, 'P')
        im.putpalette(palette.ravel().tolist())
        return im, palette[idx].transpose(2, 0, 1) / 255.0
    channels = {'L': 1, 'LA': 2, 'RGB': 3, 'RGBA': 4}[mode]
    v = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
    im = Image.fromarray(v[..., 0] if channels == 1 else v, mode)
    rgb = np.repeat(v[None, ..., 0], 3, 0) if channels <= 2 else v[..., :3].transpose(2, 0, 1)
    return im, rgb / 255.0


@settings(max_examples=40, deadline=None, database=None)
@given(st.sampled_from(['1', 'L', 'LA', 'P', 'RGB', 'RGBA', 'I;16']), st.integers(1, 12), st.integers(0, 2 ** 32 - 1),
       st.booleans())
def test_every_mode_and_bit_depth_round_trips_to_minus_one_one(tmp_path_factory, mode, h, seed, jpeg):
    im, rgb = _image(mode, h, np.random.default_rng(seed))
    lossy = jpeg and mode in ('L', 'RGB')                 # the modes JPEG stores
    root = folder(tmp_path_factory.mktemp('ds'), {'a': im}, 'jpg' if lossy else 'png')
    a, b = D.AlignedImageFolder(root, verify=True)[0]
    for got, want in ((a, rgb[:, :, :h]), (b, rgb[:, :, h:])):
        assert got.dtype == np.float32 and got.shape == (3, h, h)
        assert got.min() >= -1 and got.max() <= 1
        if not lossy:
            np.testing.assert_allclose(got, want * 2 - 1, atol=1e-6)
