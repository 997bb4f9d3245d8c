"""Solution markers: parsing, the rules they must follow, and the student-copy transformation."""
import textwrap

import pytest

from minigrad.assign.markers import MarkerError, parse_blocks, transform

B, E = '# BEGIN SOLUTION', '# END SOLUTION'   # built here so this file holds no marker lines itself


def src(text):
    return textwrap.dedent(text).replace('<B>', B).replace('<E>', E) \
        .replace('<PB>', '# BEGIN PROMPT').replace('<PE>', '# END PROMPT')


SAMPLE = src('''\
    import math


    def area(r):
        """pi r^2."""
        <B> a9_area
        <PB>
        # Hint: math.pi is there for you.
        <PE>
        from math import pi
        return pi * r * r
        <E>


    class Shape:
        def grow(self, k):
            if k > 0:
                <B> a8_grow
                self.k = k
                <E>
            return self
    ''')


def release(text, chosen):
    blocks = parse_blocks(text, 'sample.py')
    return transform(text, blocks, lambda b: b.assignment in chosen, lambda tag: f'do {tag}', 'sample.py')


def test_parse_finds_blocks_tags_prompt_and_indent():
    blocks = parse_blocks(SAMPLE, 'sample.py')
    assert [(b.tag, b.assignment, b.indent) for b in blocks] == [('a9_area', 9, '    '), ('a8_grow', 8, ' ' * 12)]
    assert blocks[0].prompt and not blocks[1].prompt
    lines = SAMPLE.splitlines()
    assert [s.strip() for s in blocks[0].code_lines(lines)] == ['from math import pi', 'return pi * r * r']
    assert [s.strip() for s in blocks[0].prompt_lines(lines)] == ['# Hint: math.pi is there for you.']


def test_stubbed_block_becomes_raise_with_prompt_and_still_imports():
    out = release(SAMPLE, {9, 8})
    assert 'pi * r * r' not in out and 'from math import pi' not in out and 'self.k = k' not in out
    assert '    # Hint: math.pi is there for you.\n    raise NotImplementedError("a9_area: do a9_area")\n' in out
    assert '            raise NotImplementedError("a8_grow: do a8_grow")\n            return self' not in out
    assert 'SOLUTION' not in out and 'PROMPT' not in out
    namespace = {}
    exec(compile(out, 'sample.py', 'exec'), namespace)     # the module still imports
    with pytest.raises(NotImplementedError, match='^a9_area: '):
        namespace['area'](2.0)
    assert namespace['Shape']().grow(0) is not None         # code outside the block still runs


def test_kept_block_loses_only_its_markers_and_prompt():
    out = release(SAMPLE, set())
    assert 'SOLUTION' not in out and 'PROMPT' not in out and 'Hint' not in out
    namespace = {}
    exec(compile(out, 'sample.py', 'exec'), namespace)
    assert abs(namespace['area'](1.0) - 3.141592653589793) < 1e-12
    assert namespace['Shape']().grow(3).k == 3
    kept = [line for line in SAMPLE.splitlines()
            if not any(m in line for m in ('SOLUTION', 'PROMPT', 'Hint'))]
    assert out.splitlines() == kept


def test_only_chosen_assignments_are_stubbed():
    out = release(SAMPLE, {8})
    assert 'return pi * r * r' in out and 'self.k = k' not in out


def test_markers_inside_strings_are_not_markers():
    text = src('''\
        DOC = """
        <B> a1_fake
        <E>
        """
        ''')
    assert parse_blocks(text, 'doc.py') == []


@pytest.mark.parametrize('text, message', [
    ('def f():\n    <B> a1_x\n    <B> a1_y\n    return 1\n    <E>\n    <E>\n', 'do not nest'),
    ('def f():\n    <B> a1_x\n    return 1\n', 'never closed'),
    ('def f():\n    return 1\n    <E>\n', 'without a BEGIN'),
    ('def f():\n    <B> bad-tag\n    return 1\n    <E>\n', 'must look like'),
    ('def f():\n    <B> a1_x\n    <E>\n    return 1\n', 'holds no code'),
    ('<B> a1_x\nimport os\n<E>\n', 'function or method body'),
    ('class C:\n    <B> a1_x\n    x = 1\n    <E>\n', 'function or method body'),
    ('def f():\n    <B> a1_x\n    <PB>\n    x = 1\n    <PE>\n    return 1\n    <E>\n', 'comment lines only'),
    ('def f():\n    #BEGIN  SOLUTION a1_x\n    return 1\n    <E>\n', 'malformed marker'),
    ('def f():\n    <PB>\n    # hint\n    <PE>\n    return 1\n', 'inside a solution block'),
])
def test_malformed_markers_are_refused_with_file_and_line(text, message):
    with pytest.raises(MarkerError, match=message) as info:
        parse_blocks(src(text), 'bad.py')
    assert str(info.value).startswith('bad.py')
