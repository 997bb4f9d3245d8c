"""Solution markers in minigrad's own source, and the student-copy transformation.

In the teacher's copy (this repository) a task's reference solution is real,
running code between two comment lines::

    @staticmethod
    def backward(ctx, grad):
        \"\"\"... the math stays in the docstring ...\"\"\"
        # BEGIN SOLUTION a1_relu_backward
        # BEGIN PROMPT
        # Hint: ReLU passes the gradient where its input was positive.
        # END PROMPT
        out, = ctx.saved
        return grad * (out > 0)
        # END SOLUTION

The optional PROMPT block sits inside the SOLUTION block and holds comment
lines only.  Released for a student, the block becomes the prompt's comment
lines followed by ``raise NotImplementedError("a1_relu_backward: …")`` at the
BEGIN line's indentation; released *without* that task (or with solutions),
only the marker lines and the prompt disappear and the code stays.

Rules (checked; a :class:`MarkerError` names file and line):

* markers are whole-line comments (found with :mod:`tokenize`, so text inside
  strings never counts), exactly ``# BEGIN SOLUTION <tag>``, ``# END SOLUTION``,
  ``# BEGIN PROMPT``, ``# END PROMPT``; blocks do not nest;
* a block holds at least one line of code, none indented less than its BEGIN line;
* a block sits inside a function or method body, so the ``raise`` only fires
  when the function is called and the module still imports.
"""
import ast
import io
import re
import tokenize
from dataclasses import dataclass

from .catalog import TAG_RE, assignment_of

_LOOSE = re.compile(r'\b(BEGIN|END)\s+(SOLUTION|PROMPT)\b')
_BEGIN = re.compile(r'^#\s?BEGIN SOLUTION (?P<tag>\S+)\s*$')
_END = re.compile(r'^#\s?END SOLUTION\s*$')
_PBEGIN = re.compile(r'^#\s?BEGIN PROMPT\s*$')
_PEND = re.compile(r'^#\s?END PROMPT\s*$')


class MarkerError(ValueError):
    """A malformed solution block; the message starts with ``path:line:``."""


@dataclass(frozen=True)
class Block:
    """One ``BEGIN SOLUTION … END SOLUTION`` block (line numbers are 1-based)."""
    path: str
    tag: str
    begin: int
    end: int
    indent: str
    prompt: tuple = ()     # (begin, end) lines of the PROMPT markers, or ()

    @property
    def assignment(self):
        return assignment_of(self.tag)

    def prompt_lines(self, lines):
        """The prompt's comment lines (markers excluded), as written."""
        return lines[self.prompt[0]:self.prompt[1] - 1] if self.prompt else []

    def code_lines(self, lines):
        """The solution lines (markers and prompt excluded), as written."""
        inside = range(self.begin + 1, self.end)          # 1-based lines strictly inside
        skip = set(range(self.prompt[0], self.prompt[1] + 1)) if self.prompt else set()
        return [lines[i - 1] for i in inside if i not in skip]


def might_have_markers(text):
    """Cheap pre-filter before tokenizing a file."""
    return 'SOLUTION' in text or 'PROMPT' in text


def _marker_comments(text, path):
    """(line, comment) of every whole-line comment that looks like a marker."""
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT and not tok.line[:tok.start[1]].strip() \
                    and _LOOSE.search(tok.string):
                found.append((tok.start[0], tok.string.rstrip()))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise MarkerError(f"{path}: cannot tokenize the file to look for solution markers: {exc}") from None
    return found


def parse_blocks(text, path='<string>'):
    """Every solution block of a Python source text, in order; MarkerError if malformed."""
    if not might_have_markers(text):
        return []
    lines = text.splitlines()
    blocks, current, prompt_begin, prompt = [], None, None, ()
    for line, comment in _marker_comments(text, path):
        where = f"{path}:{line}"
        if m := _BEGIN.match(comment):
            if current:
                raise MarkerError(f"{where}: BEGIN SOLUTION inside the block opened at line {current[1]} "
                                  "(blocks do not nest)")
            if not TAG_RE.match(m['tag']):
                raise MarkerError(f"{where}: task tag {m['tag']!r} must look like a<N>_<name>, "
                                  "e.g. a2_conv_backward")
            current, prompt = (m['tag'], line), ()
        elif _END.match(comment):
            if not current:
                raise MarkerError(f"{where}: END SOLUTION without a BEGIN SOLUTION")
            if prompt_begin:
                raise MarkerError(f"{where}: END SOLUTION while the PROMPT of line {prompt_begin} is open")
            begin_line = lines[current[1] - 1]
            indent = begin_line[:len(begin_line) - len(begin_line.lstrip())]
            blocks.append(Block(path, current[0], current[1], line, indent, prompt))
            current = None
        elif _PBEGIN.match(comment):
            if not current or prompt_begin or prompt:
                raise MarkerError(f"{where}: BEGIN PROMPT must sit inside a solution block, once")
            prompt_begin = line
        elif _PEND.match(comment):
            if not prompt_begin:
                raise MarkerError(f"{where}: END PROMPT without a BEGIN PROMPT")
            prompt, prompt_begin = (prompt_begin, line), None
        else:
            raise MarkerError(f"{where}: malformed marker {comment!r}; write exactly '# BEGIN SOLUTION <tag>', "
                              "'# END SOLUTION', '# BEGIN PROMPT' or '# END PROMPT'")
    if current:
        raise MarkerError(f"{path}:{current[1]}: BEGIN SOLUTION {current[0]} is never closed by END SOLUTION")
    if blocks:
        _check_blocks(text, lines, blocks, path)
    return blocks


def _check_blocks(text, lines, blocks, path):
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise MarkerError(f"{path}:{exc.lineno}: the teacher's file does not parse: {exc.msg}") from None
    scopes = [(n.lineno, n.end_lineno, isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
              for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for b in blocks:
        for i in range(b.prompt[0] + 1, b.prompt[1]) if b.prompt else ():
            if lines[i - 1].strip() and not lines[i - 1].lstrip().startswith('#'):
                raise MarkerError(f"{path}:{i}: a PROMPT holds comment lines only")
        code = [i for i in range(b.begin + 1, b.end)
                if lines[i - 1].strip() and not lines[i - 1].lstrip().startswith('#')]
        if not code:
            raise MarkerError(f"{path}:{b.begin}: solution block {b.tag} holds no code")
        for i in code:
            if not lines[i - 1].startswith(b.indent):
                raise MarkerError(f"{path}:{i}: code in block {b.tag} is indented less than its BEGIN line")
        inner = [s for s in scopes if s[0] < code[0] <= s[1]]
        if not inner or not max(inner, key=lambda s: s[0])[2]:
            raise MarkerError(f"{path}:{b.begin}: solution block {b.tag} must sit inside a function or "
                              "method body (a raise at module or class level would break the import)")


def stub_line(block, todo, newline='\n', width=100):
    """The line(s) that replace a released block: ``raise NotImplementedError("<tag>: <todo>")``,
    the message split into adjacent string literals to stay within ``width`` columns."""
    message = f"{block.tag}: {todo}".replace('\\', '\\\\').replace('"', '\\"')
    head = f'{block.indent}raise NotImplementedError('
    room = max(40, width - len(head) - 3)
    chunks, current = [], ''
    for word in message.split(' '):
        if current and len(current) + 1 + len(word) > room:
            chunks.append(current + ' ')
            current = word
        else:
            current = f'{current} {word}' if current else word
    chunks.append(current)
    pad = ' ' * len(head)
    body = (newline + pad).join(f'"{c}"' for c in chunks)
    return f'{head}{body}){newline}'


def transform(text, blocks, stub, todo, path='<string>'):
    """The student's version of ``text``.

    ``stub(block) -> bool`` says which blocks become ``raise NotImplementedError``;
    ``todo(tag) -> str`` gives the sentence after the tag.  Blocks not stubbed
    keep their code without the marker and prompt lines.  The result is
    compiled to make sure it still parses.
    """
    lines = text.splitlines(keepends=True)
    drop, insert = set(), {}
    for b in blocks:
        drop.update(range(b.begin, b.end + 1))
        if stub(b):
            newline = lines[b.begin - 1][len(lines[b.begin - 1].rstrip('\r\n')):] or '\n'
            insert[b.begin] = b.prompt_lines(lines) + [stub_line(b, todo(b.tag), newline)]
        else:
            insert[b.begin] = b.code_lines(lines)
    out = []
    for i, line in enumerate(lines, start=1):
        out.extend(insert.get(i, ()))
        if i not in drop:
            out.append(line)
    result = ''.join(out)
    try:
        compile(result, path, 'exec', dont_inherit=True)
    except SyntaxError as exc:
        raise MarkerError(f"{path}:{exc.lineno}: the released file would not parse ({exc.msg}); "
                          "check the markers around that line") from None
    return result
