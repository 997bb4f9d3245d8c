"""The course runner, its report page and the robustness sweep."""
import html.parser
import json
import os

import pytest

pytest.importorskip('matplotlib')

from lessons import __main__ as runner  # noqa: E402
from lessons import robustness  # noqa: E402

NAMES = runner.discover()


def test_runner_lists_every_lesson(capsys):
    assert runner.main(['--list']) == 0
    listed = capsys.readouterr().out
    for n in range(1, 9):
        assert f'l0{n}_' in listed


@pytest.mark.parametrize('only, numbers', [('3', [3]), ('l03', [3]), ('03', [3]), ('3-5', [3, 4, 5]),
                                           ('3,5', [3, 5]), ('l02-l03, 8', [2, 3, 8]),
                                           ('l06_pix2pix', [6])])
def test_only_accepts_numbers_names_and_ranges(only, numbers):
    assert [int(n[1:3]) for n in runner.select(NAMES, only)] == numbers


@pytest.mark.parametrize('only', ['9', 'l9x', '5-3', '0-2', 'pix2pix'])
def test_an_unknown_lesson_is_an_error_not_an_empty_run(only, capsys):
    with pytest.raises(SystemExit) as exit_:
        runner.main(['--only', only])
    assert exit_.value.code == 2
    assert 'error: --only' in capsys.readouterr().err


def test_backend_cupy_without_a_gpu_is_one_line_not_a_traceback(capsys):
    from minigrad import backend
    if backend.cupy_available():
        pytest.skip('a GPU is available here')
    with pytest.raises(SystemExit) as exit_:
        runner.main(['--backend', 'cupy', '--only', '1'])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and 'Traceback' not in err and len(err.strip().splitlines()) == 1


class _Collector(html.parser.HTMLParser):
    """Collects the page's images and checks that every opened tag is closed in order."""
    VOID = {'meta', 'img', 'br', 'hr', 'link'}

    def __init__(self):
        super().__init__()
        self.stack, self.images, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == 'img':
            self.images.append(dict(attrs)['src'])
        elif tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f'</{tag}> closes nothing open'

    def handle_data(self, data):
        self.text.append(data)


def test_the_run_writes_a_valid_report_page_with_every_claim_and_figure(out_root, capsys):
    assert runner.main(['--quick', '--only', '1,3']) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert str(out_root) in last and 'index.html' in last and '2/2 lessons ok' in last
    page = (out_root / 'index.html').read_text()
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert page.startswith('<!DOCTYPE html>') and parser.stack == []
    text = ' '.join(parser.text)
    expected_images = []
    for name in ('l01_stacking_convolutions', 'l03_down_and_up'):
        results = json.loads((out_root / name / 'results.json').read_text())
        for claim in results['claims']:
            assert claim['claim'] in text
        for quote in results['slides']:
            assert quote in text
        expected_images += [f'{name}/{fig}' for fig in results['figures']]
    assert parser.images == expected_images
    for src in parser.images:
        assert os.path.isfile(out_root / src)
    assert 'not run yet' in text          # the lessons this run skipped are listed as such


def test_robustness_sweep_tabulates_margins(tmp_path):
    assert robustness.parse_seeds('0-2,7') == [0, 1, 2, 7]
    code = robustness.main(['--modes', 'quick', '--seeds', '0', '--kernels', 'native', '--only', '1',
                            '--out', str(tmp_path)])
    assert code == 0
    rows = json.loads((tmp_path / 'robustness.json').read_text())
    assert rows and all(r['held'] == r['runs'] == 1 and r['lesson'] == 'l01_stacking_convolutions' for r in rows)
    table = (tmp_path / 'robustness.md').read_text()
    assert '| l01 | quick | n 3x3 convs have a receptive field of 2n+1 | 1/1 | exact |' in table


def test_robustness_summary_takes_the_worst_margin():
    table = {('l09_demo', 'quick', 'a beats b by > 1'): [
        {'seed': s, 'kernel': k, 'blas': k, 'holds': m > 0, 'asserted': True, 'margin': m}
        for s, k, m in [(0, 'A', 0.5), (1, 'A', 2.0), (0, 'B', -0.25)]]}
    [row] = robustness.summarise(table)
    assert row['runs'] == 3 and row['held'] == 2 and row['min_margin'] == -0.25 and row['median_margin'] == 0.5
    assert row['kernels'] == ['A', 'B'] and row['seeds'] == [0, 1]
