"""Command line: ``python -m minigrad.calc rf|layers|memory|flops|summary|redundancy ...``.

The slide's numbers, one command each::

    python -m minigrad.calc rf conv3x3*100            # RF 201 after 100 3x3 convs
    python -m minigrad.calc layers 200                # 100 layers of conv3x3 to reach 200
    python -m minigrad.calc memory conv3x3c200 --input 200x400x400 --batch 1   # 122.07 MiB
    python -m minigrad.calc memory conv3x3c200*100 --input 200x400x400 --batch 20  # 238.42 GiB
    python -m minigrad.calc redundancy --patch 5      # (2n-1)^2 = 25 windows per pixel, n = 3
"""
import argparse
import ast
import importlib
import sys

from .layers import SPEC_HELP
from .memory import memory
from .table import human_bytes, pair_str


def _shape(text, batch=None):
    """'200x400x400' (C, H, W) or '20x200x400x400' (N, C, H, W) -> (N, C, H, W)."""
    try:
        dims = tuple(int(v) for v in text.lower().replace(',', 'x').split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must look like 3x64x64 or 8x3x64x64, got {text!r}") from None
    if len(dims) == 3:
        dims = (1,) + dims
    if len(dims) != 4 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"shape must be CxHxW or NxCxHxW (positive), got {text!r}")
    return dims


def _size(text):
    """'64' or '64x48' -> (H, W)."""
    try:
        dims = tuple(int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 64 or 64x48, got {text!r}") from None
    if len(dims) == 1:
        dims = dims * 2
    if len(dims) != 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"size must be H or HxW (positive), got {text!r}")
    return dims


def _model(spec):
    """A spec string, or 'py:package.module:factory(args)' -> the Module that factory(args) returns.

    Arguments are Python literals only (``UNet(3, 2, depth=2)``); nothing else is evaluated.
    """
    if not spec.startswith('py:'):
        return spec
    path, _, call = spec[3:].partition(':')
    name, _, rest = call.partition('(')
    if not name:
        raise SystemExit(f"error: py: models are written py:package.module:factory(args), got {spec!r}")
    args, kwargs = [], {}
    if rest:
        try:
            node = ast.parse(f"f({rest}", mode='eval').body
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        except (SyntaxError, ValueError) as err:
            raise SystemExit(f"error: cannot read the arguments of {spec!r} (literals only): {err}") from None
    return getattr(importlib.import_module(path), name.strip())(*args, **kwargs)


def cmd_rf(args, out):
    from .receptive_field import receptive_field, receptive_field_paths
    if args.path:
        paths = {}
        for item in args.path:
            name, _, spec = item.partition('=')
            if not spec:
                raise SystemExit(f"error: --path must be NAME=SPEC, got {item!r}")
            paths[name] = spec
        print(receptive_field_paths(paths), file=out)
        return
    if not args.spec:
        raise SystemExit("error: give a layer SPEC or --path NAME=SPEC (see --help)")
    model = _model(args.spec)
    size = args.input
    if size is not None and not isinstance(model, str):
        size = (1, args.channels) + tuple(size)
    table = receptive_field(model, size)
    print(table, file=out)
    last = table.final
    rf = pair_str(last.rf_max) if not last.varies else \
        f"{pair_str(last.rf_min)}..{pair_str(last.rf_max)} (smallest..largest over output positions)"
    print(f"receptive field after {len(table)} layers: {rf} pixels", file=out)


def cmd_layers(args, out):
    from .receptive_field import layers_to_reach
    n, rf = layers_to_reach(args.target, args.layer)
    print(f"{n} layers of {args.layer} reach a receptive field of {rf} >= {args.target} pixels", file=out)


def cmd_memory(args, out):
    model = _model(args.spec)
    if args.measure:
        if isinstance(model, str):
            raise ValueError("--measure needs a real model (py:package.module:factory), not a layer spec")
        from .memory import measure
        report = measure(model, args.input, args.dtype, args.optimizer, args.batch)
    else:
        report = memory(model, args.input, args.dtype, args.optimizer, args.batch)
    n = report.input_shape[0]
    print(report if not args.totals else report.totals(), file=out)
    biggest = max(r.activation for r in report.rows) // n
    print(f"\nlargest layer output, one image: {biggest:,} bytes = {human_bytes(biggest)}", file=out)
    print(f"all {len(report.rows)} layer outputs, batch {n}: {report.activations:,} bytes = "
          f"{human_bytes(report.activations)}", file=out)


def cmd_flops(args, out):
    from .flops import count_flops
    print(count_flops(_model(args.spec), args.input, args.dtype), file=out)


def cmd_summary(args, out):
    from .summary import summary
    print(summary(_model(args.spec), args.input, args.dtype), file=out)


def cmd_redundancy(args, out):
    from .redundancy import redundancy
    report = redundancy(args.patch, args.image, args.net, args.in_channels, args.centers)
    print(report, file=out)


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(
        prog='python -m minigrad.calc',
        description="Architecture calculators: receptive field, layers to reach a receptive field, "
                    "memory, FLOPs, model summary, sliding-window redundancy.",
        epilog=SPEC_HELP + "\n\nA model can also be given as py:package.module:factory(args), a function "
               "or class returning a minigrad nn Module, with literal arguments, e.g.\n"
               "  py:minigrad.models.unet:UNet(3,2,depth=2,base_width=8)\nGuide: docs/calc.md",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')

    p = sub.add_parser('rf', parents=[common], help='receptive field after every layer',
                       description="Receptive field, jump and centre of the first output after every layer; "
                                   "exact min..max over output positions through up-sampling layers.",
                       epilog=SPEC_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('spec', nargs='?', help='layer stack, e.g. conv3x3*100 (see below)')
    p.add_argument('--input', type=_size, metavar='H[xW]', help='input size, to print output sizes')
    p.add_argument('--channels', type=int, default=3, help='input channels for py: models (default 3)')
    p.add_argument('--path', action='append', metavar='NAME=SPEC',
                   help='one path of a multi-path net (repeat for each; e.g. U-Net skips): prints the '
                        'receptive field through every path and of the whole net')
    p.set_defaults(run=cmd_rf)

    p = sub.add_parser('layers', help='how many layers until the receptive field reaches a target',
                       description="Smallest number of identical layers whose receptive field is >= TARGET.")
    p.add_argument('target', type=int, help='receptive field to reach, in pixels (the slide: 200)')
    p.add_argument('--layer', default='conv3x3', help='the repeated layer, a spec item (default conv3x3)')
    p.set_defaults(run=cmd_layers)

    def shaped(name, help_, description):
        q = sub.add_parser(name, help=help_, description=description, epilog=SPEC_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        q.add_argument('spec', help='layer stack (give channels: conv3x3c64) or py:module:factory(args)')
        q.add_argument('--input', type=_shape, required=True, metavar='[N]xCxHxW',
                       help='input shape, e.g. 200x400x400 or 20x200x400x400')
        q.add_argument('--dtype', default='float32', help='float32 (4 bytes, default) or float64')
        return q

    p = shaped('memory', 'activation / parameter / gradient / optimizer / graph memory',
               "Bytes of every layer's output, the parameters, their gradients, the optimizer state and "
               "what the autograd graph keeps for backward; SI (MB = 10^6 B) and binary (MiB = 2^20 B).")
    p.add_argument('--batch', type=int, help='batch size N (overrides the N of --input)')
    p.add_argument('--optimizer', default='adam', choices=['sgd', 'momentum', 'adam'],
                   help='optimizer state: sgd 0x, momentum 1x, adam 2x the parameters (default adam)')
    p.add_argument('--measure', action='store_true',
                   help='py: models only: also run one forward and report minigrad.graph_bytes')
    p.add_argument('--totals', action='store_true', help='print the totals only, not every layer')
    p.set_defaults(run=cmd_memory)

    p = shaped('flops', 'multiply-accumulates per layer', "MACs per layer and in total (FLOPs = 2 x MACs).")
    p.set_defaults(run=cmd_flops)

    p = shaped('summary', 'torchinfo-like table',
               "One row per layer: output shape, parameters, MACs, activation memory, receptive field.")
    p.set_defaults(run=cmd_summary)

    p = sub.add_parser('redundancy', help='cost of labelling pixels by sliding-window crops',
                       description="How many P x P windows cover each pixel (P^2 inside, fewer at the "
                                   "border), counted by formula and by enumerating every window; with --net, "
                                   "the first layer's filterings and the MACs against one fully "
                                   "convolutional pass.", epilog=SPEC_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--patch', type=int, required=True, help='window size P (the slide: P = 2n - 1)')
    p.add_argument('--image', type=_size, default=(32, 32), metavar='H[xW]', help='image size (default 32)')
    p.add_argument('--net', help='the per-window network, a layer spec (e.g. conv3x3c16*3)')
    p.add_argument('--in-channels', type=int, default=3, help='image channels for --net (default 3)')
    p.add_argument('--centers', choices=['all', 'valid'], default='all',
                   help="'all': a window around every pixel (padded image; default); "
                        "'valid': only windows inside the image")
    p.set_defaults(run=cmd_redundancy)
    return parser


def main(argv=None, out=None):
    """Run the CLI on ``argv`` (default sys.argv[1:]), printing to ``out`` (default stdout)."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        args.run(args, out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
