"""Metrics on hand-built cases: confusion matrix, accuracies, IoU, boundary band, PSNR, colourfulness."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import metrics as M

TARGET = np.array([[0, 0, 1, 1],
                   [0, 0, 1, 1],
                   [2, 2, 2, 2]])


def test_perfect_prediction():
    t = mg.tensor(TARGET)                     # Tensors and arrays are both accepted
    cm = M.confusion_matrix(t, t, 3)
    assert (cm == np.diag([4, 4, 4])).all() and cm.dtype == np.int64
    assert M.pixel_accuracy(t, t) == 1.0
    assert M.mean_class_accuracy(t, t, 3) == 1.0
    assert (M.iou(t, t, 3) == 1.0).all() and M.mean_iou(t, t, 3) == 1.0
    assert M.boundary_accuracy(t, t) == 1.0


def test_all_wrong():
    pred = (TARGET + 1) % 3
    cm = M.confusion_matrix(pred, TARGET, 3)
    assert np.trace(cm) == 0 and cm.sum() == TARGET.size
    assert cm[0, 1] == 4 and cm[1, 2] == 4 and cm[2, 0] == 4          # rows: truth, columns: prediction
    assert M.pixel_accuracy(pred, TARGET) == 0.0
    assert M.mean_class_accuracy(pred, TARGET, 3) == 0.0
    assert (M.iou(pred, TARGET, 3) == 0.0).all() and M.mean_iou(pred, TARGET, 3) == 0.0


def test_one_pixel_wrong_and_a_missing_class():
    pred = TARGET.copy()
    pred[0, 0] = 1                             # one class-0 pixel called class 1
    # class 3 exists in neither prediction nor truth: NaN per class, left out of the means
    per_class = M.iou(pred, TARGET, 4)
    assert per_class[:3] == pytest.approx([3 / 4, 4 / 5, 1.0]) and math.isnan(per_class[3])
    assert M.mean_iou(pred, TARGET, 4) == pytest.approx((3 / 4 + 4 / 5 + 1) / 3)
    acc = M.class_accuracy(pred, TARGET, 4)
    assert acc[:3] == pytest.approx([3 / 4, 1, 1]) and math.isnan(acc[3])
    assert M.mean_class_accuracy(pred, TARGET, 4) == pytest.approx((3 / 4 + 2) / 3)
    assert M.pixel_accuracy(pred, TARGET) == pytest.approx(11 / 12)
    # a class predicted but absent from the truth scores IoU 0 and counts in the mean
    pred2 = TARGET.copy()
    pred2[2, 0] = 3
    assert M.iou(pred2, TARGET, 4)[3] == 0.0
    assert M.mean_iou(pred2, TARGET, 4) == pytest.approx((1 + 1 + 3 / 4 + 0) / 4)


def test_ignore_pixels():
    target = TARGET.copy()
    target[2, :2] = 255                        # void
    pred = TARGET.copy()
    pred[2, :2] = 0                            # wrong there, but ignored
    assert M.pixel_accuracy(pred, target, ignore_index=255) == 1.0
    assert M.confusion_matrix(pred, target, 3, ignore_index=255).sum() == 10
    assert M.mean_iou(pred, target, 3, ignore_index=255) == 1.0
    with pytest.raises(ValueError, match='confusion_matrix: target holds labels'):
        M.confusion_matrix(pred, target, 3)


def test_scores_are_argmaxed():
    scores = np.eye(3)[TARGET].transpose(2, 0, 1)[None] * 5.0           # (1, 3, H, W)
    assert M.pixel_accuracy(scores, TARGET[None]) == 1.0
    assert M.mean_iou(scores[0], TARGET, 3) == 1.0                        # unbatched (3, H, W)
    with pytest.raises(ValueError, match='pixel_accuracy'):
        M.pixel_accuracy(TARGET[:2], TARGET)


def test_boundary_band_and_accuracy_hand_case():
    target = np.zeros((6, 6), dtype=np.int64)
    target[:, 3:] = 1                          # one vertical edge between columns 2 and 3
    band = M.boundary_mask(target, width=1)
    expected = np.zeros((6, 6), dtype=bool)
    expected[:, 2:4] = True
    assert (band == expected).all()
    assert (M.boundary_mask(target, width=2) == np.isin(np.arange(6), [1, 2, 3, 4])[None].repeat(6, 0)).all()
    # a blurry prediction: the edge drawn one column too far right -> column 3 wrong
    pred = np.zeros((6, 6), dtype=np.int64)
    pred[:, 4:] = 1
    assert M.pixel_accuracy(pred, target) == pytest.approx(30 / 36)
    assert M.boundary_accuracy(pred, target, width=1) == pytest.approx(0.5)   # 6 of 12 band pixels
    assert M.boundary_accuracy(pred, target, width=2) == pytest.approx(18 / 24)
    assert M.boundary_accuracy(pred[None], target[None]) == pytest.approx(0.5)  # batches work
    assert math.isnan(M.boundary_accuracy(target * 0, target * 0))            # no edge, no band


def test_psnr():
    a = np.zeros((3, 4, 4))
    b = a + 0.1                                                   # mse = 0.01
    assert M.psnr(a, b, 1.0) == pytest.approx(20.0)
    assert M.psnr(a * 255, b * 255, 255) == pytest.approx(20.0)
    assert M.psnr(mg.tensor(a), mg.tensor(a), 1.0) == math.inf
    with pytest.raises(ValueError, match='psnr'):
        M.psnr(a, b[:2], 1.0)


def test_colourfulness_of_grey_is_zero_and_colour_is_not():
    grey = np.broadcast_to(np.linspace(0, 1, 16).reshape(1, 4, 4), (3, 4, 4)).astype(np.float32)
    assert M.colorfulness(grey) == 0.0
    assert M.mean_chroma_lab(grey) == pytest.approx(0.0, abs=1e-3)
    red = np.zeros((3, 4, 4))
    red[0] = 1.0
    # rg = 255, yb = 127.5 everywhere: σ = 0, μ = √(255² + 127.5²)
    assert M.colorfulness(red) == pytest.approx(0.3 * math.hypot(255, 127.5))
    assert M.colorfulness(red * 255, data_range=255) == pytest.approx(M.colorfulness(red))
    assert M.mean_chroma_lab(red) == pytest.approx(104.55, abs=0.1)     # sRGB red: a ≈ 80.1, b ≈ 67.2
    # a desaturated version (the average of an image and its grey) is less colourful
    rng = np.random.default_rng(0)
    img = rng.random((2, 3, 8, 8))
    washed = 0.5 * img + 0.5 * img.mean(axis=1, keepdims=True)
    per_image = M.colorfulness(img)
    assert per_image.shape == (2,) and (M.colorfulness(washed) < per_image).all()
    assert (M.mean_chroma_lab(washed) < M.mean_chroma_lab(img)).all()
    with pytest.raises(ValueError, match='colorfulness'):
        M.colorfulness(img[:, :2])
