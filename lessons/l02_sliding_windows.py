"""Why not crop every sub-window? Sliding windows versus one fully convolutional pass.

A patch classifier run window by window versus the same network run once, fully
convolutionally, on the whole image.

Claims tested (lecture: "Crop out every sub-window and predict the label in the middle";
"How many times does Gabor filter the red pixel?  (2n-1)·(2n-1)"):
  * Running the patch network on every P×P window gives the same per-pixel predictions
    as running it once on the whole (padded) image, to within 1e-4: the windows share work.
  * Each interior pixel sits in P² windows (the slide's (2n−1)² for P = 2n−1): the
    formula and a literal enumeration of the windows agree on every pixel.
  * So the windows do at least 10x the multiply-adds of the one pass (P² / overlap).
  * And the one pass is at least 4x (quick: 24x24 image, 7x7 windows) or 15x (full:
    48x48, 11x11) faster.  Time is the median, over 5 interleaved rounds, of the
    ratio of process CPU times of warm calls with BLAS pinned to one thread, so
    other programs on the machine barely move it.

``seed`` draws the network's weights and where the photo is cropped.
"""
import time

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.calc.redundancy import coverage, enumerate_coverage, redundancy
from lessons.common import Lesson, one_blas_thread, progress
from lessons.figures import sliding_windows as figures

ROUNDS = 5   # interleaved timing rounds; the claim uses their median ratio


def run(quick=False, seed=0):
    lesson = Lesson('l02_sliding_windows', quick, seed)
    depth, width, size = (3, 8, 24) if quick else (5, 16, 48)
    patch = 2 * depth + 1
    mg.manual_seed(seed)
    image = photo(size, np.random.default_rng(seed))
    net = patch_network(depth, width, num_classes=4)

    lesson.slide('Crop out every sub-window and predict the label in the middle.')
    windowed = sliding_windows(net, image, patch)
    dense = fully_convolutional(net, image, patch)
    max_diff = float(np.abs(windowed - dense).max())
    lesson.claim('window-by-window and fully-convolutional predictions agree to within 1e-4 '
                 '(margin in decades below the bound)', margin=np.log10(1e-4 / max(max_diff, 1e-12)),
                 max_abs_difference=max_diff)

    lesson.slide('Meet "Gabor". We extract NxN patches and do independent CNNs. '
                 'How many times does Gabor filter the red pixel?')
    counts = enumerate_coverage((size, size), patch)      # crop every window, count
    formula_counts = coverage((size, size), patch)        # the closed form
    interior = int(counts[size // 2, size // 2])
    formula = patch * patch                               # the slide's (2n-1)^2 with P = 2n-1
    lesson.claim(f'each interior pixel is cropped into P^2 = (2n-1)^2 = {formula} windows '
                 '(formula == enumeration on every pixel, exact)',
                 interior == formula and np.array_equal(counts, formula_counts), windows=interior, P=patch)
    cost = redundancy(patch, (size, size), layers=f'conv3x3c{width}*{depth}')
    mac_ratio = cost.sliding_macs / cost.full_macs
    lesson.claim('sliding windows do at least 10x the multiply-adds of one pass', margin=mac_ratio - 10,
                 ratio=mac_ratio)

    with one_blas_thread():   # stable timings: one thread, process CPU time, warm calls
        rounds = [(cpu_seconds(lambda: sliding_windows(net, image, patch)),
                   cpu_seconds(lambda: fully_convolutional(net, image, patch)))
                  for _ in progress(range(ROUNDS), 'timing windows vs one pass')]
    t_windows, t_dense = (float(np.median(t)) for t in zip(*rounds))
    speedup = float(np.median([w / d for w, d in rounds]))
    bound = 4 if quick else 15
    lesson.claim(f'the fully-convolutional pass is at least {bound}x faster (median of {ROUNDS} '
                 'rounds, CPU time, one BLAS thread)', margin=speedup - bound, speedup=speedup,
                 speedups=[round(w / d, 2) for w, d in rounds])
    lesson.record(patch=patch, image=size, seconds_windows=t_windows, seconds_dense=t_dense,
                  speedup=speedup, max_abs_difference=max_diff, interior_coverage=interior,
                  formula_coverage=formula, macs_sliding=cost.sliding_macs,
                  macs_fully_convolutional=cost.full_macs, macs_ratio=mac_ratio)
    lesson.figure(figures.windows_vs_dense(image, windowed, dense, counts, patch, t_windows, t_dense,
                                           speedup, max_diff, mac_ratio), 'windows_vs_dense.png')
    return lesson.finish()


def patch_network(depth, width, num_classes):
    """``depth`` valid 3x3 convs: a (2·depth+1)² patch in, one label's logits out."""
    layers, c = [], 3
    for _ in range(depth):
        layers += [nn.Conv2d(c, width, 3), nn.ReLU()]
        c = width
    layers.append(nn.Conv2d(c, num_classes, 1))
    return nn.Sequential(*layers)


def sliding_windows(net, image, patch, batch=256):
    """Crop every P×P window around every pixel and classify its centre: the 'wrong' way."""
    n = patch // 2
    padded = np.pad(image, ((0, 0), (n, n), (n, n)), mode='reflect')
    _, H, W = image.shape
    centres = [(i, j) for i in range(H) for j in range(W)]
    logits = []
    for start in range(0, len(centres), batch):
        crops = np.stack([padded[:, i:i + patch, j:j + patch] for i, j in centres[start:start + batch]])
        with mg.no_grad():
            logits.append(net(mg.tensor(crops)).numpy()[:, :, 0, 0])
    return np.concatenate(logits).reshape(H, W, -1).transpose(2, 0, 1)


def fully_convolutional(net, image, patch):
    """The same network, run once on the whole reflect-padded image."""
    n = patch // 2
    padded = np.pad(image, ((0, 0), (n, n), (n, n)), mode='reflect')
    with mg.no_grad():
        return net(mg.tensor(padded[None])).numpy()[0]


def cpu_seconds(fn, at_least=0.05):
    """CPU seconds per call of ``fn``, averaged over as many calls as fill ``at_least`` seconds.

    Process CPU time, not wall time: time this process waits for a core that another
    program holds is not counted.  The first call warms caches and is not timed."""
    fn()
    calls, start = 0, time.process_time()
    while True:
        fn()
        calls += 1
        spent = time.process_time() - start
        if spent >= at_least:
            return spent / calls


def photo(size, rng):
    """A colour crop (at a random place) of scikit-image's coffee photograph, CHW in [0, 1]."""
    from skimage import data, transform
    top, left = rng.integers(0, 80, 2)
    crop = data.coffee()[top:top + 320, 80 + left:80 + left + 320]
    return transform.resize(crop, (size, size), anti_aliasing=True).astype(np.float32).transpose(2, 0, 1)


if __name__ == '__main__':
    run()
