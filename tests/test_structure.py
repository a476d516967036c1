"""The package's own structure: no import circles, and a checkpoint load
that goes one way (read -> convert -> fit)."""
import ast
import os
import sys

import torch

from conftest import ROOT

PACKAGES = ('videomae_det', 'videomae_det_core')


def import_graph() -> dict:
    """{module: modules of ours it imports anywhere in its file (function
    bodies included)}."""
    files = {}
    for package in PACKAGES:
        for folder, _, names in os.walk(ROOT / package):
            for name in names:
                if name.endswith('.py'):
                    path = os.path.join(folder, name)
                    module = os.path.relpath(path, ROOT)[:-3].replace(
                        os.sep, '.').removesuffix('.__init__')
                    files[module] = path
    graph = {}
    for module, path in files.items():
        base = module if path.endswith('__init__.py') else \
            module.rpartition('.')[0]
        targets = set()
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ''
                if node.level:
                    parts = base.split('.')[:len(base.split('.')) -
                                            node.level + 1]
                    target = '.'.join(parts + [target] * bool(target))
                targets.update([target] + [f'{target}.{a.name}'
                                           for a in node.names])
        graph[module] = {t for t in targets if t in files and t != module}
    return graph


def circles(graph: dict) -> list:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, found = {}, {}, [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_circles():
    graph = import_graph()
    # the finder sees an edge of the kind that made the old circles
    assert 'videomae_det.checkpoint.formats' in graph[
        'videomae_det.checkpoint.load']
    assert circles(graph) == []
    assert circles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [
        ['a', 'b', 'c']]


def test_checkpoint_load_goes_one_way(tmp_path):
    """A foreign (official fine-tuned) file into our backbone: the steps
    run read, convert, fit, each once."""
    from videomae_det.checkpoint.load import load_weights
    from videomae_det.models import VideoMAE
    arch = dict(embed_dims=32, num_layers=1, num_heads=2)
    backbone = VideoMAE(arch=arch, img_size=32, num_frames=4)
    official = {k: v.clone() for k, v in backbone.state_dict().items()}
    model = torch.nn.ModuleDict(dict(backbone=backbone))
    torch.save(dict(module=official), tmp_path / 'official.pth')
    steps = []

    def trace(frame, event, arg):
        name = os.path.basename(frame.f_code.co_filename)[:-3]
        if event == 'call' and 'checkpoint' in frame.f_code.co_filename \
                and name in ('safe_load', 'formats', 'fit') and \
                (not steps or steps[-1] != name):
            steps.append(name)

    sys.setprofile(trace)
    try:
        load_weights(model, str(tmp_path / 'official.pth'))
    finally:
        sys.setprofile(None)
    assert steps == ['safe_load', 'formats', 'fit']
