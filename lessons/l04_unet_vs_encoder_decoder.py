"""Missing details: an encoder–decoder against a U-Net on the same segmentation task.

Both networks are ``minigrad.models.UNet`` with the same layers (3x3 double convs, 2x2
max-pooling down, 2x2 transposed convs up, instance norm); the encoder–decoder is
``skip=False``, so its decoder sees only what survived the bottleneck, while the U-Net
concatenates ("copies") each encoder activation into the decoder at the same
resolution.  They train identically (same data order, Adam with a cosine-decayed rate,
same steps) on SyntheticShapes — random discs, squares, triangles and thin rings on
textured backgrounds, whose colours say nothing about the class — and are scored on
held-out images after taking the argmax over the per-pixel class scores.

Full mode: 32x32 images, depth 3 (a 4x4 bottleneck), width 16, 1280 steps of 8 images,
five labels (background, disc, square, triangle, ring).  Quick mode must stay within
seconds, too short to tell three solid shapes apart: 24x24 images, depth 2 (6x6
bottleneck), width 8, 512 steps, and three labels (background, solid shape = disc,
square or triangle, thin ring), so that both networks do find the shapes.

Claims tested (lecture: "just upsampling often produces results without details / not
aligned with the image ... information about details lost when downsampling"; "How do
you send details forward?  You copy the activations forward" — U-Net):
  * Both networks learn to find the shapes: foreground-vs-background IoU >= 0.3 each.
  * The U-Net has a higher held-out mean IoU than the encoder–decoder (by > 0.05 in full
    mode, > 0.02 in quick mode).
  * The U-Net is more accurate in the band around object boundaries
    (``metrics.boundary_accuracy``, 1-pixel band), where the missing details are (by
    > 0.05 in full mode, > 0.02 in quick mode).
  * Pixel accuracy hides most of this: its gap is smaller than the boundary gap, because
    most pixels are easy background far from any edge.
Quick mode records the mean-IoU claim without asserting it (after 512 steps the U-Net's
lead in mean IoU is too close to its bound on some seeds); full mode asserts all.

The U-Net has slightly more weights (its decoder convs read 2x the channels); the
number of each is recorded in results.json.  ``seed`` draws the training and held-out
images, the initial weights and the batch order.
"""
import math

import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import metrics, optim
from minigrad.data import SyntheticShapes
from minigrad.models import UNet
from lessons.common import Lesson, one_blas_thread, progress
from lessons.figures import unet as figures

NAMES = {False: 'encoder-decoder', True: 'U-Net'}
QUICK_LABELS = np.array([0, 1, 1, 1, 2])   # quick mode: disc, square, triangle -> one 'solid shape'


def settings(quick):
    if quick:
        return dict(size=24, depth=2, width=8, n_train=768, n_test=64, steps=512, batch=8, lr=5e-3)
    return dict(size=32, depth=3, width=16, n_train=2048, n_test=128, steps=1280, batch=8, lr=5e-3)


def run(quick=False, seed=0):
    lesson = Lesson('l04_unet_vs_encoder_decoder', quick, seed)
    cfg = settings(quick)
    with one_blas_thread():  # small GEMMs: a 2nd BLAS thread only waits for a busy core
        lesson.slide('While the output is H × W, just upsampling often produces results without '
                     'details/not aligned with the image.')
        (images, labels), (test_images, truth), class_names = shapes(cfg, quick, seed)
        k = len(class_names)
        models, histories = {}, {}
        models[False], histories[False] = train(False, cfg, k, images, labels, test_images, truth, seed)

        lesson.slide('How do you send details forward in the network? You copy the activations forward.')
        models[True], histories[True] = train(True, cfg, k, images, labels, test_images, truth, seed)

        lesson.slide('How do we convert final H × W × F into labels? argmax over labels')
        preds = {skip: predict(models[skip], test_images) for skip in models}

        lesson.slide('Given predictions, how well did we do?')
        scores = {skip: score(preds[skip], truth, k) for skip in preds}
        per_class = {skip: metrics.iou(preds[skip], truth, k) for skip in preds}
        ed, un = scores[False], scores[True]
        lesson.record(settings=cfg, class_names=list(class_names),
                      parameters={NAMES[s]: sum(p.array.size for p in models[s].parameters()) for s in models},
                      steps=cfg['steps'], scores={NAMES[s]: scores[s] for s in scores},
                      iou_per_class={NAMES[s]: per_class[s] for s in per_class},
                      boundary_pixel_fraction=float(metrics.boundary_mask(truth).mean()))
        found = min(ed['foreground_iou'], un['foreground_iou'])
        lesson.claim('both networks find the shapes (foreground-vs-background IoU >= 0.3 each)',
                     margin=found - 0.3, encoder_decoder=ed['foreground_iou'], unet=un['foreground_iou'])
        bound = 0.02 if quick else 0.05
        d_iou = un['mean_iou'] - ed['mean_iou']
        d_bnd = un['boundary_accuracy'] - ed['boundary_accuracy']
        d_acc = un['pixel_accuracy'] - ed['pixel_accuracy']
        lesson.claim(f'U-Net beats the encoder-decoder on held-out mean IoU by more than {bound}',
                     margin=d_iou - bound, asserted=not quick, unet=un['mean_iou'], encoder_decoder=ed['mean_iou'])
        lesson.claim(f'U-Net beats the encoder-decoder on held-out boundary accuracy by more than {bound}',
                     margin=d_bnd - bound, unet=un['boundary_accuracy'], encoder_decoder=ed['boundary_accuracy'])
        lesson.claim('the pixel-accuracy gap is smaller than the boundary-accuracy gap',
                     margin=d_bnd - d_acc, pixel_accuracy_gap=d_acc, boundary_gap=d_bnd)

        rows = showcase_rows(truth, ring=k - 1)
        lesson.figure(figures.predictions(test_images, truth, preds, class_names, rows, NAMES,
                                          cfg['size'] >> cfg['depth']), 'predictions.png')
        lesson.figure(figures.curves(histories, NAMES), 'loss_curves.png')
        lesson.figure(figures.scores(scores, per_class, class_names, NAMES), 'scores.png')
    return lesson.finish()


def shapes(cfg, quick, seed):
    """(train images, labels), (held-out images, labels), class names; quick mode merges the solid shapes."""
    def draw(n, data_seed):
        ds = SyntheticShapes(n, size=cfg['size'], num_classes=4, seed=data_seed, cache=False)
        pairs = [ds[i] for i in progress(range(n), f'drawing {n} images of shapes')]
        images, labels = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
        return images, (QUICK_LABELS[labels] if quick else labels), ds.class_names
    train_set = draw(cfg['n_train'], 2 * seed)
    test_images, truth, names = draw(cfg['n_test'], 2 * seed + 1)
    names = ('background', 'solid shape', 'ring') if quick else names
    return train_set[:2], (test_images, truth), names


def train(skip, cfg, num_labels, images, labels, test_images, truth, seed):
    """Adam on random batches, the rate cosine-decayed per step; held-out scores at 5 points."""
    mg.manual_seed(seed)
    model = UNet(3, num_labels, depth=cfg['depth'], base_width=cfg['width'], skip=skip, norm='instance')
    opt = optim.Adam(model.parameters(), lr=cfg['lr'])
    order = np.random.default_rng(seed + 1)          # the same batches for both networks
    steps, checks = cfg['steps'], set(np.linspace(0, cfg['steps'], 5).astype(int)[1:])
    history = {'step': [], 'loss': [], 'check_step': [], 'val_loss': [], 'val_miou': [], 'val_boundary': []}
    for step in progress(range(1, steps + 1), f'training the {NAMES[skip]}'):
        for group in opt.param_groups:                # lr · ½(1 + cos(π t / T)) at step t
            group['lr'] = cfg['lr'] * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps))
        batch = order.integers(0, len(images), cfg['batch'])
        model.train()
        loss = F.cross_entropy(model(mg.tensor(images[batch])), mg.tensor(labels[batch]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        history['step'].append(step)
        history['loss'].append(loss.item())
        if step in checks:
            pred, val_loss = predict(model, test_images, truth)
            history['check_step'].append(step)
            history['val_loss'].append(val_loss)
            history['val_miou'].append(metrics.mean_iou(pred, truth, num_labels))
            history['val_boundary'].append(metrics.boundary_accuracy(pred, truth))
    return model, history


def predict(model, images, truth=None, batch=32):
    """argmax over the class axis: (N, C, H, W) scores -> (N, H, W) labels (and the mean loss if ``truth``)."""
    model.eval()
    out, losses = [], []
    with mg.no_grad():
        for i in range(0, len(images), batch):
            scores = model(mg.tensor(images[i:i + batch]))
            out.append(scores.argmax(dim=1).numpy())
            if truth is not None:
                losses.append(F.cross_entropy(scores, mg.tensor(truth[i:i + batch])).item() * len(out[-1]))
    pred = np.concatenate(out).astype(np.int64)
    return pred if truth is None else (pred, float(sum(losses) / len(images)))


def score(pred, truth, k):
    fg = metrics.iou(pred > 0, truth > 0, 2)[1]
    return {'pixel_accuracy': metrics.pixel_accuracy(pred, truth), 'mean_iou': metrics.mean_iou(pred, truth, k),
            'boundary_accuracy': metrics.boundary_accuracy(pred, truth), 'foreground_iou': float(fg)}


def showcase_rows(truth, ring, n=4):
    """The first held-out images that contain a thin ring (chosen from the truth only), then the rest."""
    with_ring = [i for i in range(len(truth)) if (truth[i] == ring).any()]
    return (with_ring + [i for i in range(len(truth)) if i not in with_ring])[:n]


if __name__ == '__main__':
    run()
