"""Plain-text tables and human-readable units for the calculators."""
from fractions import Fraction


def format_table(head, rows, align=None, max_rows=None):
    """Aligned text table.  ``align``: one 'l' or 'r' per column (default: left).

    ``max_rows``: show the first and last rows only, with a line saying how
    many were left out in between.
    """
    rows = [[str(c) for c in row] for row in rows]
    if max_rows is not None and len(rows) > max_rows:
        keep = max(max_rows // 2, 1)
        gap = len(rows) - 2 * keep
        rows = rows[:keep] + [[f"... {gap} more rows ..."] + [''] * (len(head) - 1)] + rows[-keep:]
    align = align or 'l' * len(head)
    widths = [max([len(str(h))] + [len(r[i]) for r in rows if not r[0].startswith('... ') or i > 0])
              for i, h in enumerate(head)]

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            if c.startswith('... ') and i == 0:
                return c
            out.append(c.rjust(widths[i]) if align[i] == 'r' else c.ljust(widths[i]))
        return '  '.join(out).rstrip()

    sep = '  '.join('-' * w for w in widths)
    return '\n'.join([line([str(h) for h in head]), sep] + [line(r) for r in rows])


def frac_str(x):
    """3 -> '3', 5/2 -> '2.5', 1/3 -> '1/3' (exact, short)."""
    if x is None:
        return '-'
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    if x.denominator in (2, 4, 5, 8, 10, 16, 20, 25, 32):
        return f"{float(x):g}"
    return f"{x.numerator}/{x.denominator}"


def pair_str(p, fmt=str):
    """(3, 3) -> '3'; (3, 5) -> '3x5'."""
    if p is None:
        return '-'
    if not isinstance(p, tuple):
        return fmt(p)
    return fmt(p[0]) if p[0] == p[1] else 'x'.join(fmt(v) for v in p)


DECIMAL = [('B', 1), ('kB', 10 ** 3), ('MB', 10 ** 6), ('GB', 10 ** 9), ('TB', 10 ** 12)]
BINARY = [('B', 1), ('KiB', 2 ** 10), ('MiB', 2 ** 20), ('GiB', 2 ** 30), ('TiB', 2 ** 40)]


def _unit(n, units, digits):
    name, size = units[0]
    for u, s in units:
        if abs(n) >= s:
            name, size = u, s
    if size == 1:
        return f"{int(n)} B"
    return f"{n / size:.{digits}f} {name}"


def mib(n, digits=2):
    """Bytes in binary units (KiB = 2^10, MiB = 2^20, GiB = 2^30): '122.07 MiB'."""
    return _unit(n, BINARY, digits)


def mb(n, digits=2):
    """Bytes in decimal (SI) units (kB = 10^3, MB = 10^6, GB = 10^9): '128.00 MB'."""
    return _unit(n, DECIMAL, digits)


def human_bytes(n, digits=2):
    """Both conventions: '128.00 MB = 122.07 MiB' (MB = 10^6 bytes, MiB = 2^20 bytes)."""
    if abs(n) < 1000:
        return f"{int(n)} B"
    return f"{mb(n, digits)} = {mib(n, digits)}"


def human_count(n, digits=2):
    """Counts with SI prefixes: 1234567 -> '1.23 M'."""
    for name, size in (('T', 10 ** 12), ('G', 10 ** 9), ('M', 10 ** 6), ('k', 10 ** 3)):
        if abs(n) >= size:
            return f"{n / size:.{digits}f} {name}"
    return str(int(n))
