"""The course report: ``out/lessons/index.html``, one page with every lesson's slides,
claims (numbers, margin, verdict) and figures, written after each ``python -m lessons`` run.

It is built from the results.json files in the output folder, so it shows what was
actually measured (a lesson not yet run is listed as such).  The page is
self-contained: inline CSS, figures linked by relative path, no scripts, nothing
fetched from the network.
"""
import datetime
import html
import importlib
import json
import os

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ccc; }
.meta { color: #666; font-size: 0.9em; }
blockquote { margin: 1em 0 0.4em; padding: 0.3em 1em; border-left: 4px solid #8aa; background: #f4f7f8; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.92em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
.ok { color: #176317; font-weight: bold; } .no { color: #b00; font-weight: bold; }
.unasserted { color: #777; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85em; }
"""


def write_index(root):
    """Write ``<root>/index.html`` for the lessons found in the package; return its path."""
    from lessons.__main__ import discover
    sections, summary = [], []
    for name in discover():
        module = importlib.import_module(f'lessons.{name}')
        results = _load(os.path.join(root, name, 'results.json'))
        sections.append(_lesson_section(name, module, results))
        summary.append(_summary_row(name, module, results))
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>minigrad lessons: the course report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>Image-to-image translation with ConvNets: the lessons</h1>\n"
            f"<p class=\"meta\">Written {datetime.datetime.now():%Y-%m-%d %H:%M} by "
            f"<code>python -m lessons</code>. Each lesson tests the lecture's words against a measurement; "
            f"a claim's margin is how far the measurement clears the bound the claim states.</p>\n"
            f"<table>\n<tr><th>lesson</th><th>mode</th><th>claims held</th><th>seconds</th></tr>\n"
            + ''.join(summary) + "</table>\n" + ''.join(sections) + "</body>\n</html>\n")
    path = os.path.join(root, 'index.html')
    os.makedirs(root, exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(page)
    os.replace(tmp, path)
    return path


def _load(path):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _title_and_intro(module):
    doc = (module.__doc__ or module.__name__).strip()
    title, _, rest = doc.partition('\n')
    intro = rest.strip().split('\n\n')[0] if rest.strip() else ''
    return title.strip(), ' '.join(intro.split())


def _summary_row(name, module, results):
    title, _ = _title_and_intro(module)
    link = f'<a href="#{name}">{html.escape(name)}</a>'
    if results is None:
        return f"<tr><td>{link}</td><td colspan=\"3\">not run yet</td></tr>\n"
    claims = [c for c in results['claims'] if c.get('asserted', True)]
    held = sum(c['holds'] for c in claims)
    css = 'ok' if held == len(claims) else 'no'
    return (f"<tr><td>{link}</td><td>{_mode(results)}</td>"
            f"<td class=\"{css}\">{held}/{len(claims)}</td><td>{results.get('seconds', '?')}</td></tr>\n")


def _mode(results):
    mode = 'quick' if results.get('quick') else 'full'
    return html.escape(f"{mode}, seed {results.get('seed', 0)}, {results.get('blas', 'BLAS ?')}")


def _lesson_section(name, module, results):
    title, intro = _title_and_intro(module)
    out = [f"<h2 id=\"{name}\">{html.escape(title)}</h2>\n<p class=\"meta\">{html.escape(name)}"]
    if results is None:
        return ''.join(out) + " — not run yet: <code>python -m lessons --only " + name[1:3] + "</code></p>\n"
    out.append(f" — {_mode(results)}, {results.get('seconds', '?')} s</p>\n<p>{html.escape(intro)}</p>\n")
    slides = results.get('slides', [])
    groups = {}
    for claim in results['claims']:
        groups.setdefault(claim.get('slide', -1), []).append(claim)
    for index in sorted(groups):
        if 0 <= index < len(slides):
            out.append(f"<blockquote>{html.escape(slides[index])}</blockquote>\n")
        out.append(_claims_table(groups[index]))
    for quote in (q for i, q in enumerate(slides) if i not in groups):
        out.append(f"<blockquote>{html.escape(quote)}</blockquote>\n")
    for figure in results.get('figures', []):
        src = html.escape(f"{name}/{figure}", quote=True)
        out.append(f"<figure><img src=\"{src}\" alt=\"{html.escape(figure, quote=True)}\">"
                   f"<figcaption>{html.escape(figure)}</figcaption></figure>\n")
    return ''.join(out)


def _claims_table(claims):
    rows = ["<table>\n<tr><th></th><th>claim</th><th>margin</th><th>numbers</th></tr>\n"]
    for c in claims:
        if not c.get('asserted', True):
            verdict = f"<span class=\"unasserted\">{'ok' if c['holds'] else 'NO'} (recorded)</span>"
        else:
            verdict = '<span class="ok">ok</span>' if c['holds'] else '<span class="no">NO</span>'
        numbers = {k: v for k, v in c.items() if k not in ('claim', 'holds', 'asserted', 'slide', 'margin')}
        shown = ', '.join(f"{k}={_fmt(v)}" for k, v in numbers.items())
        margin = _fmt(c['margin']) if 'margin' in c else 'exact'
        rows.append(f"<tr><td>{verdict}</td><td>{html.escape(c['claim'])}</td><td>{html.escape(margin)}</td>"
                    f"<td>{html.escape(shown)}</td></tr>\n")
    rows.append("</table>\n")
    return ''.join(rows)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return '{' + ', '.join(f"{k}: {_fmt(x)}" for k, x in v.items()) + '}'
    if isinstance(v, list):
        return '[' + ', '.join(_fmt(x) for x in v[:8]) + (', …' if len(v) > 8 else '') + ']'
    return str(v)
