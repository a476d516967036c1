"""Text configs -> new-style (pure Python) config modules.

mmaction2 1.2 and mmdet 3.3 ship their configs twice: as text configs
(``_base_`` files) and as modules a config in any folder imports under
``mmengine.config.read_base()``, with classes instead of registry names.
Ours are generated from the text configs, which stay the one source:
``tools/misc/new_style_configs.py`` writes ``videomae_det/configs/`` and a
test fails when a module differs from what its text config renders to.

A module keeps its text config's inheritance: it imports its bases under
``read_base()`` (relative imports, the same files) and states what it
changes, as assignments along key paths (``model.backbone.arch =
'large'``). Each ``type`` that names exactly one class in the registries of
its scope is imported as that class; the rest (weight initialisers, whose
``type`` mmengine compares as a string, and names two registries share)
stay strings.
"""
import importlib
import keyword
import os
import os.path as osp
from typing import Any, Dict, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import Registry

# module in videomae_det/configs -> text config in configs/ (a module's
# bases must be here too)
NEW_STYLE = {
    '_base_.default_runtime': '_base_/default_runtime.py',
    '_base_.ava_vitb_k400': '_base_/ava_vitb_k400.py',
    '_base_.pretrain_vitb_k400': '_base_/pretrain_vitb_k400.py',
    '_base_.cls_vitb_k400': '_base_/cls_vitb_k400.py',
    'ava_vits': 'ava_vits.py',
    'ava_vitb': 'ava_vitb.py',
    'ava_vitl': 'ava_vitl.py',
    'ava_vith': 'ava_vith.py',
    'ava_vitb_evad': 'ava_vitb_evad.py',
    'ava_vitl_evad': 'ava_vitl_evad.py',
    'ava_toy_vit_tiny': 'ava_toy_vit-tiny.py',
    'pretrain_vitb_k400': 'pretrain_vitb_k400.py',
    'cls_vitb_k400': 'cls_vitb_k400.py',
}
STRING_SUBTREES = ('init_cfg',)  # mmengine compares their types as str
SCOPES = ('mmaction', 'mmdet', 'mmengine')
WIDTH = 79


def _registries(scope: str):
    module = importlib.import_module(f'{scope}.registry')
    return [r for r in vars(module).values() if isinstance(r, Registry)]


def _class_index() -> Dict[str, Dict[str, set]]:
    """{scope: {registry name: {classes}}} over every registry a scope sees
    (its own, then its parents')."""
    from mmaction.utils import register_all_modules as mmaction_all
    from mmdet.utils import register_all_modules as mmdet_all

    import videomae_det  # noqa: F401  registers ours
    mmdet_all(init_default_scope=False)
    mmaction_all(init_default_scope=False)
    index = {}
    for scope in SCOPES:
        names: Dict[str, set] = {}
        for registry in _registries(scope):
            while registry is not None:
                for name, cls in registry._module_dict.items():
                    names.setdefault(name, set()).add(cls)
                registry = registry.parent
        index[scope] = names
    return index


def _public_path(cls: type) -> Tuple[str, str]:
    """The shortest module path that exports ``cls`` under its name."""
    parts = cls.__module__.split('.')
    for i in range(2, len(parts) + 1):
        module = importlib.import_module('.'.join(parts[:i]))
        if getattr(module, cls.__name__, None) is cls:
            return '.'.join(parts[:i]), cls.__name__
    return cls.__module__, cls.__name__


class _Renderer:

    def __init__(self, default_scope: str) -> None:
        self.index = _class_index()
        self.default_scope = default_scope
        self.imports: Dict[str, set] = {}
        # lists assigned to a name earlier in the module (pipelines): a
        # later equal list is written as that name, as the text config did
        self.named: Dict[str, list] = {}

    def resolve(self, name: str, scope: str) -> Optional[str]:
        """The imported name for registry ``name`` in ``scope``, or None."""
        if '.' in name:
            scope, name = name.split('.', 1)
        found = self.index.get(scope, {}).get(name, set())
        if len(found) != 1:
            return None
        module, attr = _public_path(next(iter(found)))
        self.imports.setdefault(module, set()).add(attr)
        return attr

    def value(self, value: Any, indent: int, lead: int, scope: str,
              strings: bool) -> str:
        """``value`` as source at ``indent``, its first line after ``lead``
        other characters."""
        if isinstance(value, dict):
            return self.mapping(value, indent, lead, scope, strings)
        name = next((n for n, v in self.named.items() if v == value),
                    None) if isinstance(value, list) and value else None
        if name is not None:
            return name
        if isinstance(value, (list, tuple)):
            items = [self.value(v, indent + 4, 0, scope, strings)
                     for v in value]
            left, right = ('[', ']') if isinstance(value, list) else (
                '(', ',)' if len(value) == 1 else ')')
            return self.wrap(left, items, right, indent, lead)
        return repr(value)

    def mapping(self, node: dict, indent: int, lead: int, scope: str,
                strings: bool) -> str:
        scope = node.get('_scope_', scope)
        plain = all(isinstance(k, str) and k.isidentifier() and
                    not keyword.iskeyword(k) for k in node)
        items = []
        for key, v in node.items():
            sub = strings or key in STRING_SUBTREES
            name = f'{key}=' if plain else f'{key!r}: '
            if key == 'type' and isinstance(v, str) and not sub:
                text = self.resolve(v, scope) or repr(v)
            else:
                text = self.value(v, indent + 4, len(name), scope, sub)
            items.append(name + text)
        return self.wrap('dict(' if plain else '{', items,
                         ')' if plain else '}', indent, lead)

    @staticmethod
    def wrap(left: str, items, right: str, indent: int, lead: int) -> str:
        one = left + ', '.join(items) + right
        # + 1: the comma that follows an item
        if '\n' not in one and indent + lead + len(one) + 1 <= WIDTH:
            return one
        pad = ' ' * (indent + 4)
        return left + '\n' + ''.join(f'{pad}{i},\n' for i in items) + \
            ' ' * indent + right


def _path(keys) -> str:
    """``('model', 'backbone', 'arch')`` -> ``model.backbone.arch``."""
    out = keys[0]
    for key in keys[1:]:
        out += f'.{key}' if isinstance(key, str) and key.isidentifier() \
            and not keyword.iskeyword(key) else f'[{key!r}]'
    return out


def _changes(base: dict, child: dict, keys=()):
    """``(key path, new value)`` for what ``child`` changes in ``base``;
    a dict that lost keys, or is new, comes whole."""
    for key, value in child.items():
        old = base.get(key, _changes)
        if isinstance(old, dict) and isinstance(value, dict) and \
                set(old) <= set(value):
            yield from _changes(old, value, keys + (key,))
        elif old is _changes or old != value:
            yield keys + (key,), value


def _scope_at(cfg: dict, keys, scope: str) -> str:
    node = cfg
    for key in keys[:-1]:
        node = node[key]
        scope = node.get('_scope_', scope) if isinstance(node, dict) \
            else scope
    return scope


def _module_of(base_file: str) -> str:
    """A base path relative to the configs folder -> its module name."""
    module = osp.normpath(base_file)[:-3].replace(osp.sep, '.')
    if module not in NEW_STYLE:
        raise KeyError(f'base {base_file} has no new-style module: add it '
                       'to NEW_STYLE')
    return module


def render(text_config: str, config_dir: str) -> str:
    """The new-style module for ``text_config`` (a path in
    ``config_dir``)."""
    cfg = Config.fromfile(text_config)
    renderer = _Renderer(cfg.get('default_scope', 'mmaction'))
    here = osp.dirname(osp.relpath(text_config, config_dir))
    bases = [_module_of(osp.join(here, b))
             for b in Config._get_base_files(text_config)]
    base = {}
    for module in bases:
        base.update(Config.fromfile(osp.join(
            config_dir, NEW_STYLE[module])).to_dict())
    body = []
    child = cfg.to_dict()
    for keys, value in _changes(base, child):
        scope = _scope_at(child, keys, renderer.default_scope)
        strings = any(k in STRING_SUBTREES for k in keys)
        target = _path(keys)
        if keys[-1] == 'type' and isinstance(value, str) and not strings:
            text = renderer.resolve(value, scope) or repr(value)
        else:
            text = renderer.value(value, 0, len(target) + 3, scope, strings)
        body.append(f'{target} = {text}')
        if len(keys) == 1 and isinstance(value, list):
            renderer.named[keys[0]] = value
    package = here.count(osp.sep) + 1 if here else 0
    relative = [f'from {"." * (package + 1)}{m} import *' for m in bases]
    if bases:
        renderer.imports.setdefault('mmengine.config', set()).add(
            'read_base')
    ours = {m: n for m, n in renderer.imports.items()
            if m.split('.')[0] == 'videomae_det'}
    theirs = {m: n for m, n in renderer.imports.items() if m not in ours}
    blocks = ['\n'.join(_import(m, names) for m, names in sorted(
        group.items())) for group in (theirs, ours) if group]
    if bases:
        blocks += [
            'with read_base():\n' + '\n'.join(
                '    ' + line for line in relative)]
    source = osp.join('configs', osp.relpath(text_config, config_dir))
    return (f'# Generated from {source} by\n# tools/misc/new_style_configs.py:'
            ' edit the text config and run the tool\n# again (a test fails '
            'when they differ).\n' + '\n\n'.join(blocks) + '\n' +
            ('\n' + '\n'.join(body) + '\n' if body else ''))


def _import(module: str, names) -> str:
    """One ``from`` import, names in isort's order (ruff's I001)."""
    names = sorted(names, key=lambda n: (not n.isupper(), n.lower()))
    line = f'from {module} import {", ".join(names)}'
    if len(line) <= WIDTH:
        return line
    return f'from {module} import (\n' + ''.join(
        f'    {n},\n' for n in names) + ')'


def write_all(config_dir: str, out_dir: str) -> Dict[str, str]:
    """Render every module of :data:`NEW_STYLE` into ``out_dir``; return
    {module: path}."""
    written = {}
    for module, text in NEW_STYLE.items():
        path = osp.join(out_dir, *module.split('.')) + '.py'
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(render(osp.join(config_dir, text), config_dir))
        written[module] = path
    return written
