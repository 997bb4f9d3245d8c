"""pix2pix: where the answer is ambiguous, L1 outputs a blur; a conditional GAN commits to sharp detail.

Lecture: "Regressing to pixel values doesn't work" / "G's perspective: D is a loss function.
Rather than being hand-designed, it is learned" / arg min_G max_D E[log D(x, G(x)) + log(1 − D(x, y))].

Why L1 blurs: when the input leaves the fine detail open (several textures fit the same label
map), the prediction that minimises E|G(x) − y| is the per-pixel median over the plausible
answers, and the median of many shifted textures is flat.  A discriminator that sees (x, y)
pairs rejects a flat region where the real data always has texture, so G must commit to one
texture of the right kind — which costs L1 error, since it rarely matches the real one.

1. A controlled experiment (lessons/textures.py): label maps say where horizontal or vertical
   stripes go; the stripes' phase is random, so we know the ambiguity exactly.  Measured on
   held-out maps, per rectangle, on the DFT: the energy at the labelled stripe frequency
   relative to the truth's, the share of the stripe energy at the labelled orientation (a
   grid of both gives 50 %), the share of all detail that is the stripe (a checkerboard gives
   0 %: it counts as no detail), and the L1 error inside the rectangles.  The Laplacian energy
   used before is reported too, with hand-made references showing that it scores a
   checkerboard as 'sharper' than the truth.
   Claims: L1 alone is flat (stripe energy < 0.2 × the truth's); cGAN + L1 draws stripes
   (>= 0.5 ×), >= 70 % at the labelled orientation, >= 40 % of its detail at the stripe
   frequency; its L1 error is >= 1.05 × L1 alone's (the lecture's price: the L1 optimum is
   the blur); the trained D scores L1's flat outputs as fake (P(real) lower than on the
   real pairs by >= 0.2).  G has no dropout here, so no noise input: which phase it draws
   is decided by the label map and the position; how widely its phases spread compared
   with the data's is recorded, not claimed.
2. The PatchGAN's receptive field from ``minigrad.calc`` is exactly the patch of input pixels
   one output logit depends on (the support of ∂D[i, j]/∂(x, y)).
3. Full mode only: the procedural facades and edges -> photos at 64x64 (λ = 100, the paper's
   settings), with the Laplacian energy ratio R, the per-band spectrum relative to the truth
   (a checkerboard shows as excess in the top band, at the Nyquist corner) and the held-out
   L1 error.  400 steps are short for real data: neither model reproduces the scenes, the
   cGAN's extra energy is partly a checkerboard, and the Laplacian measure is fooled by the
   L1 model's noise on edges -> photos.  So every claim there is
   recorded, not asserted (they have not been checked over seeds and kernels).  Quick mode
   runs the controlled experiment only.
"""
import numpy as np

import minigrad as mg
from minigrad import calc, gan
from minigrad.backend import to_numpy
from minigrad.data import EdgesToPhotos, ProceduralFacades
from minigrad.models import PatchDiscriminator, UNetGenerator
from minigrad.functional import l1_loss
from minigrad.optim import Adam
from minigrad.random import generator
from minigrad.train import set_requires_grad
from lessons.common import Lesson, one_blas_thread, progress
from lessons.figures import pix2pix as figures
from lessons.textures import reference_outputs, stripe_scores, striped_regions

VARIANTS = ('L1 only', 'cGAN + L1')


def settings(quick):
    """Controlled experiment (32x32 stripes) and, in full mode, the real-data exhibit (64x64)."""
    stripes = dict(size=32, num_downs=5, ngf=16, n_layers=2, batch=8, lr=5e-4, lambda_l1=10.0,
                   dropout=False, steps=300 if quick else 600, n_train=2000, n_test=64)
    real = None if quick else dict(size=64, num_downs=6, ngf=16, n_layers=2, batch=4, lr=2e-4,
                                   lambda_l1=100.0, dropout=True, steps=400, n_train=256, n_test=32)
    return dict(stripes=stripes, real=real)


def run(quick=False, seed=0):
    lesson = Lesson('l06_pix2pix', quick, seed)
    cfg = settings(quick)
    lesson.record(settings=cfg)
    with one_blas_thread():
        lesson.slide("Regressing to pixel values doesn't work")
        c = cfg['stripes']
        train_set = striped_regions(c['n_train'], np.random.default_rng(seed), c['size'])
        test = striped_regions(c['n_test'], np.random.default_rng(seed + 1000), c['size'])
        references = {name: scores(out, test) for name, out in reference_outputs(test).items()}
        references['truth'] = scores(test.y, test)
        lesson.record(reference_scores=references)

        lesson.slide("G's perspective: D is a loss function. Rather than being hand-designed, it is learned.")
        models = {v: train_pix2pix(train_set.x, train_set.y, c, seed, l1_only=v == 'L1 only',
                                   desc=f'stripes: {v}') for v in VARIANTS}
        outs = {v: generate(m['G'], test.x, c['batch']) for v, m in models.items()}
        measured = {v: scores(outs[v], test) for v in VARIANTS}
        lesson.record(stripes=measured)
        l1, cgan = measured['L1 only'], measured['cGAN + L1']
        lesson.claim('stripes: L1 alone outputs the median, a flat region (stripe energy < 0.2x the truth\'s)',
                     margin=0.2 - l1['stripe_energy'], stripe_energy=l1['stripe_energy'])
        lesson.claim('stripes: cGAN + L1 draws the stripes (stripe energy >= 0.5x the truth\'s)',
                     margin=cgan['stripe_energy'] - 0.5, stripe_energy=cgan['stripe_energy'])
        lesson.claim('stripes: ... of the labelled orientation (>= 70% of the stripe energy; a grid of both: 50%)',
                     margin=cgan['orientation'] - 0.7, orientation=cgan['orientation'],
                     grid=references['grid (both ways)']['orientation'])
        lesson.claim('stripes: ... and not a checkerboard or noise (>= 40% of the detail energy at the stripe '
                     'frequency; truth 80%, checkerboard 0%)',
                     margin=cgan['right_kind'] - 0.4, right_kind=cgan['right_kind'],
                     truth=references['truth']['right_kind'], l1_only=l1['right_kind'],
                     checkerboard_laplacian_R=references['checkerboard']['laplacian_R'])
        lesson.claim('stripes: the price: the cGAN\'s held-out L1 error is >= 1.05x L1 alone\'s '
                     '(the L1 optimum is the blur)',
                     margin=cgan['region_l1'] / l1['region_l1'] - 1.05, l1_error_cgan=cgan['region_l1'],
                     l1_error_l1only=l1['region_l1'], median_prediction=references['flat (the L1 optimum)']['region_l1'])
        print(f"  (phase spread 1 − |mean e^iφ| over the test rectangles, recorded: data "
              f"{references['truth']['phase_spread']:.2f}, cGAN {cgan['phase_spread']:.2f})")

        lesson.slide("arg min_G max_D E[log D(x, G(x)) + log(1 − D(x, y))]")
        D = models['cGAN + L1']['D']
        verdicts = {name: patch_probabilities(D, test.x, y, c['batch'])
                    for name, y in (('real', test.y), ('cGAN + L1', outs['cGAN + L1']), ('L1 only', outs['L1 only']))}
        p = {name: float(v.mean()) for name, v in verdicts.items()}
        lesson.record(stripes_D=p)
        lesson.claim('stripes: the learned loss rejects the blur: D\'s P(real) on L1\'s flat outputs is '
                     '>= 0.2 below its P(real) on real pairs',
                     margin=p['real'] - p['L1 only'] - 0.2, D_real=p['real'], D_l1_only=p['L1 only'],
                     D_cgan=p['cGAN + L1'])
        figures.stripes_samples(lesson, test, outs, measured)
        figures.stripes_measures(lesson, measured, references)
        figures.patch_maps(lesson, 'stripes', test.x, test.y, outs, verdicts)
        figures.loss_curves(lesson, 'stripes', {v: m['log'] for v, m in models.items()})

        receptive_field_section(lesson, c)

        if cfg['real'] is not None:
            for task, slide in (('facades', 'Labels → Facades'), ('edges2photos', 'Edges → Images')):
                lesson.slide(slide)
                real_data_section(lesson, task, cfg['real'], seed)
    return lesson.finish()


# ----------------------------------------------------------------------------- pix2pix training
def train_pix2pix(x_train, y_train, c, seed, l1_only, desc):
    """Train G (and D) from the same initial weights and batches; only the loss differs.

    One step on a batch (x, y), pix2pix's order: first D, then G, both Adam(lr, betas (0.5, 0.999));
    the learning rate is constant for the first half and decays linearly to 0 (pix2pix's schedule).
    """
    mg.manual_seed(seed)
    cin, cout = x_train.shape[1], y_train.shape[1]
    G = UNetGenerator(cin, cout, num_downs=c['num_downs'], ngf=c['ngf'], use_dropout=c['dropout'])
    D = PatchDiscriminator(cin + cout, ndf=c['ngf'], n_layers=c['n_layers'])
    opt_G = Adam(G.parameters(), lr=c['lr'], betas=(0.5, 0.999))
    opt_D = Adam(D.parameters(), lr=c['lr'], betas=(0.5, 0.999))
    rng, steps, log = np.random.default_rng(seed + 1), c['steps'], []
    for step in progress(range(steps), desc):
        for opt in (opt_G, opt_D):
            opt.param_groups[0]['lr'] = c['lr'] * min(1.0, 2 * (steps - step) / steps)
        idx = rng.integers(0, len(x_train), c['batch'])
        x, y = mg.tensor(x_train[idx]), mg.tensor(y_train[idx])
        fake = G(x)
        entry = {}
        if not l1_only:
            # D step: real pairs -> 1, generated pairs -> 0.  fake.detach(): this step leaves G alone.
            set_requires_grad(D, True)
            opt_D.zero_grad()
            d_real, d_fake = D(x, y), D(x, fake.detach())
            loss_D = gan.pix2pix_discriminator_loss(d_real, d_fake)
            loss_D.backward()
            opt_D.step()
            # G step: D is now a fixed, learned loss function; the gradient flows through it into G.
            set_requires_grad(D, False)
            opt_G.zero_grad()
            loss = gan.pix2pix_generator_loss(D(x, fake), fake, y, c['lambda_l1'])
            loss.total.backward()
            opt_G.step()
            entry = dict(loss_D=loss_D.item(), loss_G_GAN=loss.gan.item(), loss_G_L1=loss.l1.item(),
                         D_real=d_real.sigmoid().mean().item(), D_fake=d_fake.sigmoid().mean().item())
        else:
            opt_G.zero_grad()
            loss = l1_loss(fake, y)
            loss.backward()
            opt_G.step()
            entry = dict(loss_G_L1=loss.item())
        log.append(entry)
    set_requires_grad(D, True)
    return dict(G=G, D=D, log=log)


def generate(G, x, batch):
    """G(x) for a NumPy array, as the paper tests: train mode (batch statistics; dropout if G has it)."""
    G.train()
    with mg.no_grad():
        return np.concatenate([G(mg.tensor(x[i:i + batch])).numpy() for i in range(0, len(x), batch)])


def patch_probabilities(D, x, y, batch):
    """σ(D(x, y)) per patch, (N, h, w); D in train mode as during training (all-real or all-fake batches)."""
    D.train()
    with mg.no_grad():
        return np.concatenate([D(mg.tensor(x[i:i + batch]), mg.tensor(y[i:i + batch])).sigmoid().numpy()
                               for i in range(0, len(x), batch)])[:, 0]


# ----------------------------------------------------------------------------- measures
def laplacian(images):
    """Discrete Laplacian (kernel [0 1 0; 1 −4 1; 0 1 0]) of (N, C, H, W) images on the interior pixels."""
    x = np.asarray(images, dtype=np.float64)
    return (x[..., :-2, 1:-1] + x[..., 2:, 1:-1] + x[..., 1:-1, :-2] + x[..., 1:-1, 2:]
            - 4 * x[..., 1:-1, 1:-1])


def laplacian_energy(images):
    """E = mean (Δ img)² per image, (N,): a high-pass measure that grows like |ω|² — and counts any
    pixel-level pattern (a checkerboard most of all) as detail."""
    return (laplacian(images) ** 2).mean(axis=(1, 2, 3))


def scores(images, data):
    """The stripe measures of lessons/textures.py plus the Laplacian energy ratio R to the truth."""
    out = stripe_scores(images, data)
    out['laplacian_R'] = float(laplacian_energy(images).sum() / laplacian_energy(data.y).sum())
    return out


BANDS = (('low', 0, 1 / 8), ('mid', 1 / 8, 1 / 4), ('high', 1 / 4, 3 / 8), ('top', 3 / 8, 0.51))


def band_power(images):
    """Power per frequency band, summed over images and channels: {band: energy}.

    Bands of the normalised radial frequency |k|/S (DFT of each mean-removed channel).  The
    'top' band (|k| >= 3S/8) holds the Nyquist corner, where a checkerboard's energy sits.
    """
    x = np.asarray(images, np.float64)
    x = x - x.mean(axis=(-2, -1), keepdims=True)
    power = (np.abs(np.fft.fft2(x)) ** 2).sum(axis=(0, 1))
    f = np.fft.fftfreq(x.shape[-1])
    radius = np.hypot(f[:, None], f[None, :])
    return {name: float(power[(radius >= lo) & (radius < hi)].sum()) for name, lo, hi in BANDS}


# ----------------------------------------------------------------------------- receptive field
def measured_receptive_field(D, cin, size, i, j):
    """Rows and columns of the input that output logit (i, j) depends on: the support of its gradient.

    Random input (not zeros) so that no activation sits at a kink, eval mode so batch norm
    uses fixed statistics and does not couple distant pixels; LeakyReLU never zeroes a
    gradient, so the support is the whole field.
    """
    D.eval()
    x = mg.tensor(generator().standard_normal((1, cin, size, size)).astype(np.float32),
                  requires_grad=True)
    D(x)[0, 0, i, j].backward()
    D.train()
    grad = np.abs(x.grad.numpy())[0].sum(0)
    rows, cols = np.nonzero(grad.sum(1))[0], np.nonzero(grad.sum(0))[0]
    return grad, (rows.min(), rows.max()), (cols.min(), cols.max())


def receptive_field_section(lesson, c):
    size, cin = c['size'], 3
    D = PatchDiscriminator(cin, ndf=c['ngf'], n_layers=c['n_layers'])
    table = calc.receptive_field(D, size)
    print('    ' + str(table).replace('\n', '\n    '))
    rf, jump, start = table.final.rf_max[0], table.final.jump[0], table.final.start[0]
    # Measure on an input large enough that the middle logit's field lies inside the image
    # (calc counts padding pixels too; the image border would clip a field as big as the image).
    big = 4 * ((2 * rf + 3) // 4)
    i = j = calc.receptive_field(D, big).final.size[0] // 2
    grad, (r0, r1), (c0, c1) = measured_receptive_field(D, cin, big, i, j)
    centre = float(start + i * jump)
    lesson.record(patchgan_receptive_field=rf, patchgan_jump=float(jump),
                  patchgan_output=[table.final.size[0]] * 2, measured_on=big,
                  measured_rows=[int(r0), int(r1)], measured_cols=[int(c0), int(c1)])
    exact = r1 - r0 + 1 == rf and c1 - c0 + 1 == rf and (r0 + r1) / 2 == centre and (c0 + c1) / 2 == centre
    lesson.claim(f'one PatchGAN logit sees exactly calc\'s {rf}x{rf} receptive field', exact,
                 calc_rf=rf, measured_rows=r1 - r0 + 1, measured_cols=c1 - c0 + 1,
                 calc_centre=centre, measured_centre=(r0 + r1) / 2)
    figures.receptive_field(lesson, grad, rf, centre, (i, j), big, size, table.final.size[0], c['n_layers'])


# ----------------------------------------------------------------------------- real data
def render(dataset):
    return tuple(np.stack([dataset[i][k] for i in range(len(dataset))]) for k in (0, 1))


def real_data_section(lesson, task, c, seed):
    """The second exhibit: the same comparison on procedural facades or edges -> photos."""
    s = c['size']
    if task == 'facades':
        train = render(ProceduralFacades(c['n_train'], size=s, seed=seed))
        test = render(ProceduralFacades(c['n_test'], size=s, seed=seed + 1000))
    else:   # held-out crops of photos that training never sees
        train = render(EdgesToPhotos(c['n_train'], size=s, split='train', seed=seed))
        test = render(EdgesToPhotos(c['n_test'], size=s, split='val', seed=seed))
    (x, y), (xt, yt) = train, test
    models = {v: train_pix2pix(x, y, c, seed, l1_only=v == 'L1 only', desc=f'{task}: {v}') for v in VARIANTS}
    outs = {v: generate(m['G'], xt, c['batch']) for v, m in models.items()}
    truth_bands, truth_energy = band_power(yt), laplacian_energy(yt).sum()
    numbers = {}
    for v in VARIANTS:
        bands = band_power(outs[v])
        numbers[v] = dict(laplacian_R=float(laplacian_energy(outs[v]).sum() / truth_energy),
                          band_ratio={b: bands[b] / truth_bands[b] for b in bands},
                          l1_error=float(np.abs(outs[v] - yt).mean()))
    D = models['cGAN + L1']['D']
    verdicts = {name: patch_probabilities(D, xt, yy, c['batch'])
                for name, yy in (('real', yt), ('cGAN + L1', outs['cGAN + L1']), ('L1 only', outs['L1 only']))}
    numbers['D'] = {name: float(v.mean()) for name, v in verdicts.items()}
    lesson.record(**{task: numbers})
    l1, cgan = numbers['L1 only'], numbers['cGAN + L1']
    lesson.claim(f'{task}: L1 alone is blurry (Laplacian energy R_L1 < 0.8 of the truth\'s)',
                 margin=0.8 - l1['laplacian_R'], asserted=False, R_l1=l1['laplacian_R'],
                 mid_band_l1=l1['band_ratio']['mid'])
    lesson.claim(f'{task}: cGAN + L1 has more high-frequency energy than L1 alone (R_cGAN > R_L1)',
                 margin=cgan['laplacian_R'] - l1['laplacian_R'], asserted=False,
                 R_cgan=cgan['laplacian_R'], top_band_cgan=cgan['band_ratio']['top'],
                 top_band_l1=l1['band_ratio']['top'])
    lesson.claim(f'{task}: ... at a price in held-out L1 error (cGAN\'s > L1 alone\'s)',
                 margin=cgan['l1_error'] - l1['l1_error'], asserted=False,
                 l1_error_cgan=cgan['l1_error'], l1_error_l1only=l1['l1_error'])
    lesson.claim(f'{task}: the PatchGAN scores held-out real pairs above generated ones',
                 margin=numbers['D']['real'] - numbers['D']['cGAN + L1'], asserted=False,
                 D_real=numbers['D']['real'], D_fake=numbers['D']['cGAN + L1'])
    figures.real_samples(lesson, task, xt, yt, outs, numbers)
    figures.band_spectrum(lesson, task, numbers)
    figures.patch_maps(lesson, task, xt, yt, outs, verdicts)
    figures.loss_curves(lesson, task, {v: m['log'] for v, m in models.items()})


if __name__ == '__main__':
    run()
