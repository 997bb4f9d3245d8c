"""The import graph of minigrad: no cycles, and the core is a one-way stack.

backend → function → ops → tensor → functional → nn → models / calc / data.  Every
``import`` statement counts, also those inside functions (a lazy import is still a
cycle); only a module-level ``__getattr__`` (a compatibility alias for a moved name)
is skipped.  Parent packages imported implicitly are not edges.
"""
import ast
import importlib.util
from pathlib import Path

import minigrad

ROOT = Path(minigrad.__file__).parent

#: Layers of the core, lowest first: a module may import only from its own layer or below.
LAYERS = [
    ('minigrad.strict_cupy', 'minigrad.strict_cupy_names', 'minigrad.kernel_emulator'),
    ('minigrad.backend', 'minigrad.random'),
    ('minigrad.function', 'minigrad.instrument'),
    ('minigrad.ops',),
    ('minigrad.tensor', 'minigrad.tensor_methods', 'minigrad.autograd', 'minigrad.creation', 'minigrad.maths',
     'minigrad.io', 'minigrad.torchfile', 'minigrad.gradcheck', 'minigrad.testing'),
    ('minigrad.functional',),
    ('minigrad.nn', 'minigrad.optim', 'minigrad.optim_schedulers', 'minigrad.recompute'),
]


def _module_name(path):
    rel = path.relative_to(ROOT.parent).with_suffix('')
    parts = list(rel.parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _is_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _imports(path, name):
    """Modules of minigrad that ``path`` (module ``name``) imports explicitly."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    skip = {id(n) for top in tree.body if isinstance(top, ast.FunctionDef) and top.name == '__getattr__'
            for n in ast.walk(top)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([node.module] if node.module else []))
            for a in node.names:
                sub = f'{base}.{a.name}'
                found.add(sub if a.name != '*' and _is_module(sub) else base)
    return {m for m in found if m == 'minigrad' or m.startswith('minigrad.')}


def _graph():
    graph = {}
    for path in sorted(ROOT.rglob('*.py')):
        name = _module_name(path)
        graph[name] = _imports(path, name) - {name}
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def _layer(name):
    for rank, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + '.') for p in prefixes):
            return rank
    return None


def test_no_import_cycles():
    graph = _graph()
    core = {m: deps for m, deps in graph.items() if _layer(m) is not None}
    assert _cycles(core) == []


def test_the_core_imports_only_downwards():
    wrong = []
    for module, deps in _graph().items():
        rank = _layer(module)
        if rank is None:
            continue
        wrong += [f'{module} -> {d}' for d in sorted(deps) if _layer(d) is None or _layer(d) > rank]
    assert wrong == []


def test_ops_never_import_tensor():
    graph = _graph()
    assert [m for m in graph if m.startswith('minigrad.ops') and 'minigrad.tensor' in graph[m]] == []


def test_the_checker_sees_a_cycle():
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
