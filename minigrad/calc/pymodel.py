"""``py:package.module:Factory(args)``: a model for the calculators, built from an allowed package only.

The CLI takes a model as text, so the text must not be able to run arbitrary code.  Three rules:

* the module must lie inside an allowed package: ``minigrad.models`` by default, others only
  when named explicitly (``--allow-module PKG`` on the command line), because importing a
  module and calling one of its functions runs that package's code;
* the factory must be a public callable *defined* in an allowed package (not one imported into
  it from elsewhere), and what it returns must be a minigrad ``nn.Module``;
* the arguments are Python literals only (numbers, strings, tuples, lists, dicts, True/False/None),
  read with :func:`ast.literal_eval`: nothing in them is evaluated as code.

The model is then built for real (its weights are allocated), so its size is the factory's.
"""
import ast
import importlib
import re

DEFAULT_PACKAGES = ('minigrad.models',)
_DOTTED = re.compile(r'[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*')
_CALL = re.compile(r'\s*([A-Za-z]\w*)\s*(?:\((.*)\))?\s*', re.S)
FORM = "py:package.module:Factory(literal args), e.g. py:minigrad.models:UNet(3, 2, depth=2)"


def _inside(name, packages):
    return any(name == p or name.startswith(p + '.') for p in packages)


def literal_arguments(text, spec):
    """'3, 2, depth=2' -> ([3, 2], {'depth': 2}); ValueError unless every argument is a literal."""
    try:
        call = ast.parse(f"f({text})", mode='eval').body
    except SyntaxError:
        raise ValueError(f"py: cannot read the arguments of {spec!r}; write {FORM}") from None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        raise ValueError(f"py: cannot read the arguments of {spec!r}; write {FORM}")
    try:
        return ([ast.literal_eval(a) for a in call.args],
                {k.arg: ast.literal_eval(k.value) for k in call.keywords})
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"py: the arguments of {spec!r} must be Python literals (numbers, strings, "
                         f"tuples, lists, dicts, True/False/None); nothing else is evaluated") from None


def load_model(spec, packages=DEFAULT_PACKAGES):
    """The ``nn.Module`` that ``spec`` = 'py:package.module:Factory(args)' describes (rules above)."""
    from .. import nn
    path, sep, call = spec[3:].partition(':')
    match = _CALL.fullmatch(call)
    if not sep or not _DOTTED.fullmatch(path) or not match:
        raise ValueError(f"py: cannot read {spec!r}; write {FORM}")
    name, text = match.group(1), match.group(2) or ''
    if not _inside(path, packages):
        raise ValueError(f"py: {path} is outside the allowed packages ({', '.join(packages)}); importing it "
                         f"runs its code, so allow it explicitly with --allow-module {path.split('.')[0]}")
    args, kwargs = literal_arguments(text, spec)
    try:
        module = importlib.import_module(path)
    except ImportError as err:
        raise ValueError(f"py: cannot import {path}: {err}") from None
    factory = getattr(module, name, None)
    if name.startswith('_') or not callable(factory) or not _inside(getattr(factory, '__module__', ''), packages):
        raise ValueError(f"py: {path} defines no public factory {name!r} (a class or function of an allowed "
                         f"package that returns a minigrad nn.Module)")
    try:
        model = factory(*args, **kwargs)
    except Exception as err:   # the factory refused its arguments: report it in one line
        raise ValueError(f"py: {name}(...) of {spec!r} failed: {type(err).__name__}: {err}") from None
    if not isinstance(model, nn.Module):
        raise ValueError(f"py: {path}:{name} returned a {type(model).__name__}, not a minigrad nn.Module")
    return model
