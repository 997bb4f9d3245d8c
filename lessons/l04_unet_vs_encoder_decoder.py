"""Missing details: an encoder–decoder against a U-Net on the same segmentation task.

Both networks are ``minigrad.models.UNet`` with the same layers (depth 3, 3x3 double
convs, 2x2 max-pooling down, 2x2 transposed convs up, instance norm); the
encoder–decoder is ``skip=False``, so its decoder sees only what survived the 4x4
bottleneck, while the U-Net concatenates ("copies") each encoder activation into the
decoder at the same resolution.  They train identically (same seed, data order,
Adam with a cosine-decayed rate, steps) on SyntheticShapes — random discs, squares, triangles and thin rings on
textured backgrounds, whose colours say nothing about the class — and are scored on
a held-out set after taking the argmax over the per-pixel class scores.

Claims tested (lecture: "just upsampling often produces results without details /
not aligned with the image ... information about details lost when downsampling";
"How do you send details forward?  You copy the activations forward" — U-Net):
  * The U-Net has a higher mean IoU than the encoder–decoder on held-out images.
  * The U-Net is more accurate in the band around object boundaries
    (``metrics.boundary_accuracy``, 1-pixel band) — where the missing details are.
  * Pixel accuracy hides most of this: its gap is smaller than the boundary gap, because
    most pixels are easy background far from any edge.

The U-Net has slightly more weights (its decoder convs read 2x the channels); the
number of each is recorded in results.json.

BLAS runs on one thread while the lesson runs (``one_blas_thread``): the GEMMs are small,
and a second OpenBLAS thread made steps many times slower whenever the other core was busy.

Measured (2 CPU cores, NumPy backend, other jobs running): full mode (32x32 images, width
16, 1280 steps of 8 images per model) ~2.5 min; quick mode (24x24, width 8, 384 steps)
~20 s.  Full mode, when this was written: mean IoU 0.44 (U-Net) vs 0.25
(encoder–decoder), boundary accuracy 0.72 vs 0.53, pixel accuracy 0.88 vs 0.83; the
ring class, 1–2 px thin at this size, has IoU 0.63 with copies and 0 without.
"""
import math
import os

import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import metrics, optim, train, viz
from minigrad.data import DataLoader, SyntheticShapes
from minigrad.models import UNet
from lessons.common import Lesson, one_blas_thread, progress

NAMES = {False: 'encoder-decoder', True: 'U-Net'}
COLOURS = {False: 'tab:orange', True: 'tab:blue'}
DEPTH = 3  # three 2x down-samplings: a 32x32 image reaches a 4x4 bottleneck


def settings(quick):
    if quick:
        return dict(size=24, width=8, n_train=768, n_test=64, epochs=4, batch=8, lr=5e-3)
    return dict(size=32, width=16, n_train=2048, n_test=128, epochs=5, batch=8, lr=5e-3)


def build(skip, num_labels, width):
    """The two contestants: identical layers, with or without the copies."""
    return UNet(3, num_labels, depth=DEPTH, base_width=width, skip=skip, norm='instance')


def predict(model, images, batch=32):
    """argmax over the class axis: (N, C, H, W) scores -> (N, H, W) labels."""
    model.eval()
    out = []
    with mg.no_grad():
        for i in range(0, len(images), batch):
            out.append(model(mg.tensor(images[i:i + batch])).argmax(dim=1).numpy())
    return np.concatenate(out).astype(np.int64)


def train_one(skip, cfg, train_set, test_set):
    mg.manual_seed(0)  # same initial draws, same data order for both networks
    model = build(skip, train_set.num_labels, cfg['width'])
    k = train_set.num_labels
    opt = optim.Adam(model.parameters(), lr=cfg['lr'])
    epochs = cfg['epochs']
    # cosine decay, one rate per epoch: lr · ½(1 + cos(π e / epochs)) in epoch e = 0, 1, ...
    schedule = optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 * (1 + math.cos(math.pi * e / epochs)))
    history = train.fit(
        model, DataLoader(train_set, batch_size=cfg['batch'], shuffle=True, drop_last=True),
        opt, F.cross_entropy, epochs, scheduler=schedule,
        val_loader=DataLoader(test_set, batch_size=32),
        metrics={'miou': lambda out, y: metrics.mean_iou(out, y, k),
                 'boundary': lambda out, y: metrics.boundary_accuracy(out, y)},
        log_every=1, progress=os.environ.get('MINIGRAD_NO_PROGRESS') != '1')
    return model, history


def prediction_figure(lesson, images, truth, preds, class_names, rows):
    """Input / encoder-decoder / U-Net / ground truth for the held-out images ``rows``."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    fig, axes = plt.subplots(len(rows), 4, figsize=(11, 2.9 * len(rows)))
    for r, i in enumerate(rows):
        panels = [(images[i].transpose(1, 2, 0), 'input')]
        for skip in (False, True):
            p = preds[skip][i]
            panels.append((viz.labels_to_rgb(p).transpose(1, 2, 0),
                           f"{NAMES[skip]}\npixel acc. {metrics.pixel_accuracy(p, truth[i]):.2f}, "
                           f"boundary {metrics.boundary_accuracy(p, truth[i]):.2f}"))
        panels.append((viz.labels_to_rgb(truth[i]).transpose(1, 2, 0), 'ground truth'))
        for c, (img, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(img, interpolation='nearest')
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(f'held-out image {i}\ny (pixels)', fontsize=9)
            if r == len(rows) - 1:
                ax.set_xlabel('x (pixels)')
    handles = [Patch(color=viz.PALETTE[k], label=name) for k, name in enumerate(class_names)]
    fig.legend(handles=handles, loc='lower center', ncol=len(class_names), frameon=False,
               bbox_to_anchor=(0.5, -0.01))
    fig.suptitle('Missing details: without copies the decoder redraws the shapes from a '
                 f'{images.shape[-1] >> DEPTH}x{images.shape[-1] >> DEPTH} bottleneck\n'
                 '(argmax of the per-pixel scores; the first held-out images that contain a thin ring)')
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    lesson.figure(fig, 'predictions.png')


def curves_figure(lesson, histories):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    for skip, h in histories.items():
        steps = np.array([s['step'] for s in h['steps']])
        loss = np.array([s['loss'] for s in h['steps']])
        window = max(1, len(loss) // 40)
        smooth = np.convolve(loss, np.ones(window) / window, mode='valid')
        per_epoch = len(loss) // len(h['epoch'])
        epoch_end = np.array(h['epoch']) * per_epoch
        axes[0].plot(steps, loss, color=COLOURS[skip], alpha=0.2, lw=0.7)
        axes[0].plot(steps[window - 1:], smooth, color=COLOURS[skip], label=f'{NAMES[skip]} (train)')
        axes[0].plot(epoch_end, h['val_loss'], 'o--', color=COLOURS[skip], label=f'{NAMES[skip]} (held-out)')
        axes[1].plot(epoch_end, h['val_miou'], 'o-', color=COLOURS[skip], label=NAMES[skip])
        axes[2].plot(epoch_end, h['val_boundary'], 'o-', color=COLOURS[skip], label=NAMES[skip])
    axes[0].set_title('cross-entropy loss')
    axes[0].set_ylabel('loss (per pixel)')
    axes[1].set_title('held-out mean IoU (per-batch mean)')
    axes[1].set_ylabel('mean IoU')
    axes[2].set_title('held-out boundary-band accuracy')
    axes[2].set_ylabel('accuracy within 1 px of an edge')
    for ax in axes:
        ax.set_xlabel('training step')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    lesson.figure(fig, 'loss_curves.png')


def scores_figure(lesson, scores, per_class, class_names):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    keys = ['pixel_accuracy', 'mean_iou', 'boundary_accuracy']
    x = np.arange(len(keys))
    for i, skip in enumerate((False, True)):
        vals = [scores[skip][k] for k in keys]
        bars = axes[0].bar(x + (i - 0.5) * 0.38, vals, 0.38, label=NAMES[skip], color=COLOURS[skip])
        axes[0].bar_label(bars, fmt='%.2f', fontsize=8)
        xc = np.arange(len(class_names))
        bars = axes[1].bar(xc + (i - 0.5) * 0.38, np.nan_to_num(per_class[skip]), 0.38, label=NAMES[skip],
                           color=COLOURS[skip])
        axes[1].bar_label(bars, fmt='%.2f', fontsize=8)
    axes[0].set_xticks(x, ['pixel accuracy', 'mean IoU', 'boundary accuracy'])
    axes[0].set_title('held-out scores')
    axes[1].set_xticks(np.arange(len(class_names)), class_names)
    axes[1].set_title('held-out IoU per class')
    for ax in axes:
        ax.set_ylim(0, 1.08)
        ax.set_ylabel('score')
        ax.legend(fontsize=8, loc='upper right')
    axes[0].set_xlabel('metric')
    axes[1].set_xlabel('class')
    lesson.figure(fig, 'scores.png')


def run(quick=False, seed=0):
    lesson = Lesson('l04_unet_vs_encoder_decoder', quick, seed)
    cfg = settings(quick)
    with one_blas_thread():  # small GEMMs: a 2nd BLAS thread only waits for a busy core
        train_set = SyntheticShapes(cfg['n_train'], size=cfg['size'], num_classes=4, seed=0)
        test_set = SyntheticShapes(cfg['n_test'], size=cfg['size'], num_classes=4, seed=1)
        for i in progress(range(len(train_set)), 'drawing shapes'):
            train_set[i]
        images = np.stack([test_set[i][0] for i in range(len(test_set))])
        truth = np.stack([test_set[i][1] for i in range(len(test_set))])
        k = train_set.num_labels  # background + 4 shape classes

        models, histories, preds, scores, per_class = {}, {}, {}, {}, {}
        for skip in (False, True):
            models[skip], histories[skip] = train_one(skip, cfg, train_set, test_set)
            preds[skip] = predict(models[skip], images)
            scores[skip] = {'pixel_accuracy': metrics.pixel_accuracy(preds[skip], truth),
                            'mean_iou': metrics.mean_iou(preds[skip], truth, k),
                            'boundary_accuracy': metrics.boundary_accuracy(preds[skip], truth)}
            per_class[skip] = metrics.iou(preds[skip], truth, k)
        ed, un = scores[False], scores[True]
        lesson.record(settings=cfg, class_names=list(train_set.class_names),
                      parameters={NAMES[s]: sum(p.data.size for p in models[s].parameters()) for s in models},
                      steps=len(histories[True]['steps']),
                      scores={NAMES[s]: scores[s] for s in scores},
                      iou_per_class={NAMES[s]: per_class[s] for s in per_class},
                      train_seconds={NAMES[s]: sum(histories[s]['time']) for s in histories},
                      boundary_pixel_fraction=float(metrics.boundary_mask(truth).mean()))

        # show thin structures: the first held-out images with a ring (label 4), chosen from the truth only
        with_ring = [i for i in range(len(truth)) if (truth[i] == 4).any()]
        rows = (with_ring + [i for i in range(len(truth)) if i not in with_ring])[:4]
        prediction_figure(lesson, images, truth, preds, train_set.class_names, rows)
        curves_figure(lesson, histories)
        scores_figure(lesson, scores, per_class, train_set.class_names)

        d_iou = un['mean_iou'] - ed['mean_iou']
        d_bnd = un['boundary_accuracy'] - ed['boundary_accuracy']
        d_acc = un['pixel_accuracy'] - ed['pixel_accuracy']
        margin = 0.02 if quick else 0.05
        lesson.claim(f'U-Net beats the encoder-decoder on held-out mean IoU (by > {margin})', d_iou > margin,
                     unet=un['mean_iou'], encoder_decoder=ed['mean_iou'], margin=d_iou)
        lesson.claim(f'U-Net beats the encoder-decoder on boundary accuracy (by > {margin})', d_bnd > margin,
                     unet=un['boundary_accuracy'], encoder_decoder=ed['boundary_accuracy'], margin=d_bnd)
        lesson.claim('the pixel-accuracy gap is smaller than the boundary-accuracy gap', d_acc < d_bnd,
                     pixel_accuracy_gap=d_acc, boundary_gap=d_bnd)
    return lesson.finish()


if __name__ == '__main__':
    run()
