"""minigrad.data: DataLoader, transforms, datasets, the aligned-folder reader."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import data as D
from minigrad.data import transforms as T


# ----------------------------------------------------------------- DataLoader
def test_loader_covers_every_sample_once_per_epoch():
    x = np.arange(23 * 2, dtype=np.float32).reshape(23, 2)
    y = np.arange(23)
    loader = D.DataLoader(D.TensorDataset(x, y), batch_size=5, shuffle=True)
    assert len(loader) == 5
    epochs = []
    for _ in range(2):
        seen = []
        for xb, yb in loader:
            assert isinstance(xb, mg.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
            np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())   # rows stay paired
            seen.extend(yb.numpy().tolist())
        assert sorted(seen) == list(range(23))
        epochs.append(seen)
    assert epochs[0] != epochs[1] and epochs[0] != list(range(23))      # reshuffled each epoch


def test_loader_is_reproducible_and_drop_last():
    ds = D.TensorDataset(np.arange(10))
    order = lambda loader: [b.numpy().tolist() for b in loader]  # noqa: E731
    mg.manual_seed(7)
    first = order(D.DataLoader(ds, batch_size=3, shuffle=True))
    mg.manual_seed(7)
    assert order(D.DataLoader(ds, batch_size=3, shuffle=True)) == first
    assert [len(b) for b in first] == [3, 3, 3, 1]
    dropped = D.DataLoader(ds, batch_size=3, drop_last=True)
    assert len(dropped) == 3 and order(dropped) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(D.DataLoader(ds, batch_size=20, drop_last=True)) == 0


def test_collate_structures_and_errors():
    samples = [{'img': np.full((1, 2, 2), i, np.float32), 'label': i, 'w': 0.5, 'name': f'n{i}'}
               for i in range(3)]
    batch = D.default_collate(samples)
    assert batch['img'].shape == (3, 1, 2, 2) and batch['img'].dtype == np.float32
    assert batch['label'].dtype == np.int64 and batch['label'].numpy().tolist() == [0, 1, 2]
    assert batch['w'].dtype == np.float32 and batch['name'] == ['n0', 'n1', 'n2']
    raw = D.numpy_collate([(np.zeros(2), 1), (np.ones(2), 2)])
    assert isinstance(raw[0], np.ndarray) and raw[0].shape == (2, 2)
    with pytest.raises(ValueError, match='different shapes'):
        D.default_collate([np.zeros((3, 4, 4)), np.zeros((3, 4, 5))])
    with pytest.raises(ValueError, match='batch_size'):
        D.DataLoader(D.TensorDataset(np.arange(3)), batch_size=0)
    with pytest.raises(IndexError):
        D.TensorDataset(np.arange(3))[3]


def test_loader_transform_and_subset():
    ds = D.Subset(D.TensorDataset(np.arange(6, dtype=np.float32)[:, None, None].repeat(4, 1).repeat(4, 2)),
                  [5, 0, 2])
    loader = D.DataLoader(ds, batch_size=3, transform=T.Normalize())
    (batch,) = list(loader)
    np.testing.assert_array_equal(batch.numpy()[:, 0, 0], [9.0, -1.0, 3.0])


# ----------------------------------------------------------------- transforms
def ramp_pair(h=8, w=10):
    img = np.arange(3 * h * w, dtype=np.float32).reshape(3, h, w)
    labels = np.arange(h * w, dtype=np.int64).reshape(h, w)
    return img, labels


def test_paired_transforms_keep_pairs_aligned():
    img, labels = ramp_pair()
    flipped = 0
    for seed in range(20):
        mg.manual_seed(seed)
        a, b = T.Compose([T.RandomCrop(5), T.RandomHorizontalFlip()])((img, labels))
        assert a.shape == (3, 5, 5) and b.shape == (5, 5) and b.dtype == np.int64
        # the label at each pixel still names the pixel of the image it came from
        np.testing.assert_array_equal(a[0], img[0].ravel()[b])
        flipped += b[0, 0] > b[0, 1]
    assert 0 < flipped < 20                                 # both flipped, or neither
    with pytest.raises(ValueError, match='same height and width'):
        T.RandomCrop(2)((img, labels[:4]))
    with pytest.raises(ValueError, match='larger than'):
        T.RandomCrop(9)(img)


def test_pix2pix_jitter():
    jitter = T.Pix2PixJitter(64)
    assert jitter.load_size == (72, 72) and T.Pix2PixJitter(256).load_size == (286, 286)
    a = np.random.default_rng(0).random((3, 64, 64)).astype(np.float32)
    x, y = jitter((a, a.copy()))
    assert x.shape == y.shape == (3, 64, 64) and x.dtype == np.float32
    np.testing.assert_array_equal(x, y)


def test_resize_and_normalize():
    const = np.full((3, 8, 8), 0.25, np.float32)
    np.testing.assert_allclose(T.resize(const, (5, 13)), 0.25, atol=1e-6)
    a = np.random.default_rng(0).random((2, 6, 6)).astype(np.float32)
    big = np.random.default_rng(2).random((2, 12, 9)).astype(np.float32)
    np.testing.assert_allclose(T.resize(big, (4, 3), antialias=False), big[:, 1::3, 1::3], atol=1e-6)
    stripes = np.tile(np.array([0.0, 1.0], np.float32), 12)[None, :] * np.ones((24, 1), np.float32)
    assert np.ptp(T.resize(stripes, 8)) < 0.2 < np.ptp(T.resize(stripes, 8, antialias=False))
    np.testing.assert_allclose(T.resize(a, (6, 6)), a)
    # upsampling by 2 with half-pixel centres: interior outputs are 3:1 blends of neighbours
    rows = 0.75 * a[:, :-1] + 0.25 * a[:, 1:]
    np.testing.assert_allclose(T.resize(a, 12)[:, 1:-1:2, 1:-1:2],
                               0.75 * rows[:, :, :-1] + 0.25 * rows[:, :, 1:], atol=1e-6)
    labels = np.random.default_rng(1).integers(0, 5, (6, 6))
    big = T.resize(labels, 12)
    assert big.dtype == labels.dtype and set(np.unique(big)) <= set(np.unique(labels))
    x, lab = T.Normalize()((np.array([[0.0, 0.5, 1.0]] * 2, np.float32), labels))
    np.testing.assert_allclose(x[0], [-1, 0, 1])
    assert lab is labels
    np.testing.assert_allclose(T.Denormalize()(x), [[0.0, 0.5, 1.0]] * 2)


# ----------------------------------------------------------------- datasets
def test_synthetic_shapes():
    ds = D.SyntheticShapes(6, size=32, num_classes=6, seed=3)
    img, lab = ds[0]
    assert img.shape == (3, 32, 32) and img.dtype == np.float32 and lab.shape == (32, 32)
    assert lab.dtype == np.int64 and 0 <= img.min() and img.max() <= 1
    labels = np.concatenate([ds[i][1].ravel() for i in range(6)])
    assert labels.min() == 0 and labels.max() <= 6 and len(np.unique(labels)) >= 4
    assert ds.num_labels == 7 and ds.class_names[4] == 'ring'
    again = D.SyntheticShapes(6, size=32, num_classes=6, seed=3, cache=False)
    np.testing.assert_array_equal(again[0][0], img)
    assert not np.array_equal(D.SyntheticShapes(1, size=32, seed=4)[0][0], img)
    with pytest.raises(ValueError):
        img[0, 0, 0] = 1.0                                  # cached samples are read-only


@pytest.mark.parametrize('cls', [D.ProceduralFacades, D.ProceduralMaps])
def test_procedural_pairs(cls):
    ds = cls(3, size=32, seed=1, return_class_map=True)
    a, b, classes = ds[2]
    for x in (a, b):
        assert x.shape == (3, 32, 32) and x.dtype == np.float32
        assert -1 <= x.min() < x.max() <= 1
    assert classes.dtype == np.int64 and classes.shape == (32, 32)
    assert 0 <= classes.min() and classes.max() < ds.num_labels and len(np.unique(classes)) >= 3
    np.testing.assert_array_equal(cls(3, size=32, seed=1)[2][0], a)
    np.testing.assert_array_equal(cls(3, size=32, seed=1).class_map(2), classes)
    # the flat image (facade labels / map) is the palette of the class map
    flat = a if cls is D.ProceduralFacades else b
    pal = ds.palette[classes].transpose(2, 0, 1) * 2 - 1
    ok = np.isclose(flat, pal, atol=1e-6).all(axis=0)
    assert ok.mean() > (0.99 if cls is D.ProceduralFacades else 0.8)   # maps draw main roads yellow


def test_photos_ship_in_the_wheels():
    pytest.importorskip('PIL')
    have = D.available_photos()
    expected = {'skimage': {'astronaut', 'coffee', 'rocket', 'chelsea', 'immunohistochemistry'},
                'sklearn': {'china', 'flower'}, 'matplotlib': {'grace_hopper'}}
    for module, names in expected.items():
        try:
            __import__(module)
        except ImportError:
            continue
        assert names <= set(have), module
    if not have:
        pytest.skip('no package with sample photos installed')
    photo = D.load_photo(have[0])
    assert photo.ndim == 3 and photo.shape[0] == 3 and photo.dtype == np.float32 and photo.max() <= 1


def test_photo_crops_and_colorization():
    pytest.importorskip('PIL')
    pytest.importorskip('skimage')
    train = D.PhotoCrops(4, size=24, split='train', seed=0)
    val = D.PhotoCrops(2, size=24, split='val', seed=0)
    assert not set(train.photos) & set(val.photos)
    x = train[1]
    assert x.shape == (3, 24, 24) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(D.PhotoCrops(4, size=24, seed=0)[1], x)
    L, ab = D.ColorizationCrops(2, size=24, seed=0)[1]
    assert L.shape == (1, 24, 24) and ab.shape == (2, 24, 24) and L.dtype == ab.dtype == np.float32
    assert 0 <= L.min() and L.max() <= 100 and np.abs(ab).max() < 128
    from minigrad.color import lab_to_rgb
    np.testing.assert_allclose(lab_to_rgb(np.concatenate([L, ab])), x, atol=1e-3)
    with pytest.raises(ValueError, match='split'):
        D.PhotoCrops(1, split='test')


@pytest.mark.parametrize('method', ['sobel', 'canny'])
def test_edges_to_photos(method):
    pytest.importorskip('PIL')
    pytest.importorskip('skimage')
    edges, photo = D.EdgesToPhotos(2, size=32, seed=0, method=method)[0]
    assert edges.shape == (1, 32, 32) and photo.shape == (3, 32, 32)
    assert set(np.unique(edges)) <= {-1.0, 1.0} and 0.01 < (edges < 0).mean() < 0.5
    assert -1 <= photo.min() and photo.max() <= 1


def test_sobel_finds_a_step():
    from minigrad.data.edges import sobel_edges, sobel_magnitude
    img = np.zeros((16, 16), np.float32)
    img[:, 8:] = 1.0
    mag = sobel_magnitude(img, blur=0)
    np.testing.assert_allclose(mag[:, 7:9], 0.5, atol=1e-6)  # Sobel/8 across a unit step
    np.testing.assert_allclose(np.delete(mag, [7, 8], axis=1), 0, atol=1e-6)  # no border artefacts
    edges = sobel_edges(img[None])
    assert edges.shape == (1, 16, 16) and edges[0][:, 7:9].all() and not np.delete(edges[0], [6, 7, 8, 9], 1).any()
    assert not sobel_edges(np.full((8, 8), 0.3)).any()         # flat image: no edges


def test_digits():
    pytest.importorskip('sklearn')
    train, test = D.Digits('train', size=16), D.Digits('test', size=16)
    assert len(train) + len(test) == 1797 and len(test) == 359
    img, label = train[0]
    assert img.shape == (1, 16, 16) and img.dtype == np.float32 and label.dtype == np.int64
    assert 0 <= img.min() and img.max() <= 1 and set(np.unique(test.labels)) == set(range(10))
    xb, yb = next(iter(D.DataLoader(train, batch_size=8)))
    assert xb.shape == (8, 1, 16, 16) and yb.shape == (8,) and yb.dtype == np.int64


# ----------------------------------------------------------------- aligned folder
def write_pair(path, w, h, left=50, right=200):
    from PIL import Image
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = left
    a[:, w // 2:] = right
    Image.fromarray(a).save(path)


def test_aligned_image_folder(tmp_path):
    pytest.importorskip('PIL')
    (tmp_path / 'train').mkdir()
    for i in range(3):
        write_pair(tmp_path / 'train' / f'{i}.png', 16, 8)
    (tmp_path / 'train' / 'notes.txt').write_text('not an image')
    ds = D.AlignedImageFolder(tmp_path, 'train')
    assert len(ds) == 3
    a, b = ds[0]
    assert a.shape == b.shape == (3, 8, 8) and a.dtype == np.float32
    np.testing.assert_allclose(a, 50 / 255 * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(b, 200 / 255 * 2 - 1, atol=1e-6)
    b2, a2 = D.AlignedImageFolder(tmp_path, 'train', direction='BtoA', size=4)[0]
    assert a2.shape == (3, 4, 4) and np.allclose(b2, b[:, :4, :4])
    x, y = next(iter(D.DataLoader(ds, batch_size=2, transform=T.Pix2PixJitter(6))))
    assert x.shape == y.shape == (2, 3, 6, 6)


def test_aligned_image_folder_errors(tmp_path):
    pytest.importorskip('PIL')
    with pytest.raises(FileNotFoundError, match='root folder'):
        D.AlignedImageFolder(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='split folder'):
        D.AlignedImageFolder(tmp_path, 'train')
    (tmp_path / 'train').mkdir()
    with pytest.raises(ValueError, match='no .jpg'):
        D.AlignedImageFolder(tmp_path, 'train')
    write_pair(tmp_path / 'train' / 'odd.png', 15, 8)
    with pytest.raises(ValueError, match=r'odd.png is 15x8'):
        D.AlignedImageFolder(tmp_path, 'train')
    (tmp_path / 'train' / 'odd.png').unlink()
    write_pair(tmp_path / 'train' / 'wide.jpg', 20, 8)
    with pytest.raises(ValueError, match=r'wide.jpg is 20x8'):
        D.AlignedImageFolder(tmp_path, 'train')
    with pytest.raises(ValueError, match='direction'):
        D.AlignedImageFolder(tmp_path, 'train', direction='AB')
