"""Work-arounds for known upstream defects, applied on ``import videomae_det``.

Each one is checked by a test in ``tests/test_compat.py`` that fails when the
work-around is removed. Apply them before anything imports
``mmaction.models``: ``custom_imports=dict(imports=['videomae_det'])`` in a
config does, since mmengine imports custom modules while parsing the config.

1. mmaction2 1.2.0 on PyPI lacks ``mmaction/models/localizers/drn`` while
   ``mmaction/models/localizers/__init__.py`` imports it, so
   ``import mmaction.models`` fails. We insert a stand-in module and
   register a ``DRN`` that raises a clear error when built.
2. With ``transformers`` installed, mmaction2 imports its VindLU models,
   which need ``timm`` and ``transformers < 5``. Where either is missing we
   switch mmaction2's own flag off, so it registers its placeholders (which
   raise a clear ImportError when built) instead.
3. mmengine 0.10.7 calls ``torch.load`` with the default ``weights_only``,
   True since torch 2.6, so its Runner checkpoints (holding numpy objects)
   fail to load. We route its loading through our allowlisted safe loader
   (:mod:`videomae_det.checkpoint.load`), never unrestricted pickle.
4. (install step, in ``setup.py``) mmaction2 imports ``importlib_metadata``
   without declaring it; mmcv 2.1.0 is built from source with ops by the
   Makefile (``setuptools<80`` for ``pkg_resources``, ``>=77.0.3`` for
   torch 2.13).
5. mmengine writes checkpoints straight under their final name (a crash
   mid-write leaves a truncated file) and mmaction2's ``AVADataset``
   unpickles proposals with plain ``pickle``: checkpoints are written
   atomically (:mod:`videomae_det.engine.reliability`) and proposals go
   through a plain-data reader (:mod:`videomae_det_core.proposals`).
6. mmengine looks for an installed package's configs next to its
   distribution's metadata (wrong for editable installs) and takes
   ``pkg::path`` bases only from OpenMMLab's own packages: see
   :func:`patch_installed_path`.
7. mmengine's ``DictAction`` recurses without end on ``--cfg-options
   k=dict(...)``: see :func:`patch_dict_values`.
8. mmaction2's ``MaxIoUAssignerAVA`` gives a keyframe without ground
   truth 1-D labels, so ``bbox_target`` fails on multi-hot rows: see
   :func:`patch_empty_keyframes`.
9. yapf 0.43 (imported by mmengine's config) renames its grammar cache
   into place before flushing it, so processes starting together on a
   fresh machine (torchrun ranks, test workers) can read a truncated
   pickle: see :func:`patch_grammar_cache`. Applied first, before anything
   imports mmengine.
"""
import importlib.util
import logging
import os
import sys
import types

from packaging.version import Version


def patch_grammar_cache() -> None:
    """Write yapf's grammar pickle whole before renaming it into place.

    ``Grammar.dump`` renames its temporary file inside the ``with`` block
    that still buffers the pickle; another process may load it in between
    and fail with ``EOFError: Ran out of input``."""
    import pickle
    import tempfile
    try:
        from yapf_third_party._ylib2to3.pgen2 import grammar
    except ImportError:  # no yapf, or a layout without this defect
        return
    if getattr(grammar.Grammar.dump, 'videomae_det', False):
        return

    def dump(self, filename):
        folder = os.path.dirname(filename)
        stem, ext = os.path.splitext(os.path.basename(filename))
        fd, tmp = tempfile.mkstemp(suffix=ext, prefix=stem, dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                pickle.dump(self.__dict__, f, pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, filename)
        except BaseException:
            os.remove(tmp)
            raise

    dump.videomae_det = True
    grammar.Grammar.dump = dump


def _mmaction_root() -> str:
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('mmaction2 is not installed: pip install '
                          '"mmaction2>=1.2.0,<1.3"')
    return list(spec.submodule_search_locations)[0]


def drn_is_missing() -> bool:
    """True when the installed mmaction2 lacks its ``drn`` localizer."""
    return not os.path.isdir(
        os.path.join(_mmaction_root(), 'models', 'localizers', 'drn'))


def patch_missing_drn() -> None:
    """Insert a stand-in ``mmaction.models.localizers.drn.drn`` module."""
    name = 'mmaction.models.localizers.drn'
    if name in sys.modules or not drn_is_missing():
        return

    class DRN:
        """Stand-in for mmaction2's DRN localizer, absent from its wheel."""

        def __init__(self, *args, **kwargs) -> None:
            raise ImportError(
                'DRN is missing from the mmaction2 1.2.0 package on PyPI; '
                'install mmaction2 from source to use it.')

    from mmaction.registry import MODELS
    MODELS.register_module(name='DRN', module=DRN)
    package = types.ModuleType(name)
    package.__path__ = []  # a package, so `.drn.drn` resolves
    module = types.ModuleType(name + '.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[name] = package
    sys.modules[name + '.drn'] = module


def vindlu_importable() -> bool:
    """mmaction2's VindLU models need ``timm`` and ``transformers < 5``."""
    if importlib.util.find_spec('timm') is None:
        return False
    try:
        from importlib.metadata import version
        return Version(version('transformers')) < Version('5')
    except Exception:
        return False


def patch_multimodal_flag() -> None:
    """Keep ``import mmaction.models`` from importing VindLU when it cannot."""
    if vindlu_importable():
        return
    import mmaction.utils.dependency as dependency
    dependency.WITH_MULTIMODAL = False


def patch_proposal_loading() -> None:
    """mmaction2's ``AVADataset`` unpickles the proposals file with plain
    ``pickle``: route ``.pkl`` files through our plain-data reader."""
    import mmaction.datasets.ava_dataset as ava
    from mmengine.fileio import load

    from videomae_det_core.proposals import read_proposals

    def load_proposals(path, *args, **kwargs):
        if str(path).endswith('.pkl') and not args and not kwargs:
            return read_proposals(str(path))
        return load(path, *args, **kwargs)
    ava.load = load_proposals


def patch_installed_path() -> None:
    """Let mmengine's configs find this package's shipped configs.

    mmengine 0.10.7 takes an installed package's folder to be ``<its
    distribution's location>/<name>``; an editable install (PEP 660) keeps
    the distribution in site-packages and the package in the checkout, so
    ``read_base()`` imports of ``videomae_det.configs`` looked in
    site-packages. The folder Python imports the package from is used
    when that guess does not exist. And mmengine accepts ``pkg::path``
    bases only for the packages in its ``MODULE2PACKAGE`` table: ours is
    added, and its check that the path has a folder (``mmdet::a/b.py``)
    is lifted for ours, so ``_base_ = 'videomae_det::ava_vitb.py'`` reads
    ``videomae_det/.mim/configs/ava_vitb.py``; its variables get
    mmaction2's scope, the one our configs are written in (mmengine would
    give them a ``videomae_det`` scope, which has no registries).
    """
    import mmengine.config.config as config
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('videomae_det', 'videomae_det')
    guess, split = config.get_installed_path, config._get_package_and_cfg_path
    if getattr(guess, 'videomae_det', False):
        return

    def package_and_path(cfg_path: str):
        package, _, path = cfg_path.partition('::')
        return (package, path) if package == 'videomae_det' else \
            split(cfg_path)

    def installed_path(package: str) -> str:
        path = guess(package)
        spec = None if os.path.exists(path) else \
            importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            return list(spec.submodule_search_locations)[0]
        return path

    cfg_path = config.Config._get_cfg_path

    def cfg_path_and_scope(path: str, filename: str):
        path, scope = cfg_path(path, filename)
        return path, 'mmaction' if scope == 'videomae_det' else scope

    installed_path.videomae_det = True
    config.get_installed_path = installed_path
    config._get_package_and_cfg_path = package_and_path
    config.Config._get_cfg_path = staticmethod(cfg_path_and_scope)


def _literal(node):
    """A ``dict(k=v, ...)`` call or a Python literal, from its AST."""
    import ast
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == 'dict' and not node.args:
        return {k.arg: _literal(k.value) for k in node.keywords}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    return ast.literal_eval(node)


def patch_dict_values() -> None:
    """``--cfg-options 'k=dict(a=1, b="x")'`` sends mmengine 0.10.7's
    ``DictAction`` into endless recursion (a ``RecursionError`` traceback):
    its splitter never breaks a value that is one bracketed call. Such
    values are read as Python literals with ``dict(...)`` calls; one that
    does not parse is a usage error naming it."""
    import argparse
    import ast
    import re

    from mmengine.config import DictAction
    parse = DictAction._parse_iterable
    if getattr(parse, 'videomae_det', False):
        return

    def parse_iterable(val: str):
        text = val.strip('\'"').strip()
        if not re.match(r'^[A-Za-z_]\w*\(.*\)$', text, re.S):
            return parse(val)
        try:
            return _literal(ast.parse(text, mode='eval').body)
        except (SyntaxError, ValueError):
            raise argparse.ArgumentError(
                None, f'--cfg-options: cannot read {text!r}: values in '
                "dict(...) must be literals (quote strings: type='Name')"
                ) from None

    parse_iterable.videomae_det = True
    DictAction._parse_iterable = staticmethod(parse_iterable)


def patch_empty_keyframes() -> None:
    """A training keyframe whose proposals are all negatives (nobody acts:
    the tube datasets' untrimmed frames) makes mmaction2's
    ``MaxIoUAssignerAVA`` return labels of shape ``(n,)`` where the rest
    are ``(n, num_classes)`` multi-hot rows, and ``bbox_target`` then
    fails in ``F.pad``. Such labels are all-zero rows of the right width
    (every box background)."""
    from mmaction.models.task_modules.assigners import MaxIoUAssignerAVA
    assign = MaxIoUAssignerAVA.assign_wrt_overlaps
    if getattr(assign, 'videomae_det', False):
        return

    def assign_wrt_overlaps(self, overlaps, gt_labels):
        result = assign(self, overlaps, gt_labels)
        if overlaps.size(0) == 0 and gt_labels.dim() == 2:
            result.labels = gt_labels.new_zeros(
                (overlaps.size(1), gt_labels.size(1)))
        return result

    assign_wrt_overlaps.videomae_det = True
    MaxIoUAssignerAVA.assign_wrt_overlaps = assign_wrt_overlaps


def _install_safe_loading() -> None:
    from .checkpoint.load import install
    install()


def _install_atomic_save() -> None:
    from .engine.reliability import install_atomic_save
    install_atomic_save()


# Every patch ``import videomae_det`` applies, in order: what it changes
# (README's table of upstream defects has a row for each).
PATCHES = (
    ("yapf's grammar cache written whole before it is renamed into place",
     patch_grammar_cache),
    ('mmaction.models.localizers.drn: a stand-in module when the wheel '
     'lacks it', patch_missing_drn),
    ('mmaction.utils.dependency.WITH_MULTIMODAL off when VindLU cannot '
     'import', patch_multimodal_flag),
    ("mmengine's local checkpoint loading through the safe loader, and "
     "torch's weights_only allowlist extended with the same types",
     _install_safe_loading),
    ("mmengine's save_checkpoint writes atomically", _install_atomic_save),
    ("mmengine's configs find videomae_det's (editable installs too; "
     "'videomae_det::' bases)", patch_installed_path),
    ("mmengine's DictAction reads dict(...) values of --cfg-options",
     patch_dict_values),
    ("mmaction2's AVADataset reads proposal .pkl files as plain data",
     patch_proposal_loading),
    ("mmaction2's MaxIoUAssignerAVA labels keyframes without ground truth "
     'as background rows', patch_empty_keyframes),
)


def apply() -> None:
    """Apply every work-around in :data:`PATCHES`; idempotent. Logs one
    debug line naming them."""
    for _, patch in PATCHES:
        patch()
    from mmengine.logging import print_log
    print_log('videomae_det patches: ' + '; '.join(
        name for name, _ in PATCHES), logger='current', level=logging.DEBUG)
