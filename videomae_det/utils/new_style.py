"""Text configs -> new-style (pure Python) config modules.

mmaction2 1.2 and mmdet 3.3 ship their configs twice: as text configs
(``_base_`` files) and as modules a config in any folder imports under
``mmengine.config.read_base()``, with classes instead of registry names.
Ours are generated from the text configs, which stay the one source:
``tools/misc/new_style_configs.py`` writes ``videomae_det/configs/`` and a
test fails when a module differs from what its text config renders to.

A module is flat (every key its text config resolves to, in order), with
each ``type`` that names exactly one class in the registries of its scope
imported as that class; the rest (weight initialisers, whose ``type``
mmengine compares as a string, and names two registries share) stay
strings.
"""
import importlib
import keyword
import os.path as osp
from typing import Any, Dict, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import Registry

# module in videomae_det/configs -> text config in configs/
NEW_STYLE = {
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


def render(text_config: str) -> str:
    """The new-style module for ``text_config`` (a path)."""
    cfg = Config.fromfile(text_config)
    renderer = _Renderer(cfg.get('default_scope', 'mmaction'))
    body = []
    for key, value in cfg.to_dict().items():
        body.append(f'{key} = ' + renderer.value(
            value, 0, len(key) + 3, renderer.default_scope, False))
    ours = {m: n for m, n in renderer.imports.items()
            if m.split('.')[0] == 'videomae_det'}
    theirs = {m: n for m, n in renderer.imports.items() if m not in ours}
    blocks = ['\n'.join(_import(m, names) for m, names in sorted(
        group.items())) for group in (theirs, ours) if group]
    source = osp.join('configs', osp.basename(text_config))
    return (f'# Generated from {source} by\n# tools/misc/new_style_configs.py:'
            ' edit the text config and run the tool\n# again (a test fails '
            'when they differ).\n' +
            '\n\n'.join(blocks) + '\n\n' + '\n'.join(body) + '\n')


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
        path = osp.join(out_dir, module + '.py')
        with open(path, 'w') as f:
            f.write(render(osp.join(config_dir, text)))
        written[module] = path
    return written
