# Generated from configs/_base_/cls_vitb_k400.py by
# tools/misc/new_style_configs.py: edit the text config and run the tool
# again (a test fails when they differ).
from mmaction.datasets import (
    DecordDecode,
    DecordInit,
    Flip,
    FormatShape,
    PackActionInputs,
    RandomResizedCrop,
    SampleFrames,
    ThreeCrop,
)
from mmaction.datasets.transforms.processing import RandomErasing
from mmaction.evaluation import AccMetric
from mmaction.models import (
    ActionDataPreprocessor,
    CutmixBlending,
    MixupBlending,
    RandomBatchAugment,
    Recognizer3D,
    TimeSformerHead,
)
from mmengine.config import read_base
from mmengine.dataset import DefaultSampler
from mmengine.optim import CosineAnnealingLR, LinearLR
from mmengine.runner import EpochBasedTrainLoop, TestLoop, ValLoop
from torch.optim import AdamW

from videomae_det.datasets import (
    CheckedVideoDataset,
    SeededSampler,
    VideoRandAugment,
)
from videomae_det.models import VideoMAE

with read_base():
    from .._base_.default_runtime import *

default_hooks.checkpoint.interval = 5
default_hooks.checkpoint.save_best = 'acc/top1'
default_hooks.checkpoint.max_keep_ckpts = 3
dataset_type = 'CheckedVideoDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
num_classes = 400
num_frames = 16
frame_interval = 4
img_size = 224
test_clips = 5
test_crops = 3
batch_per_gpu = 8
total_batch = 64
epochs = 75
warmup_epochs = 5
layer_decay = 0.75
base_lr = 0.0005
pretrained = 'checkpoints/videomae_vitb_k400_pretrain.pth'
model = dict(
    type=Recognizer3D,
    backbone=dict(
        type=VideoMAE,
        arch='base',
        img_size=224,
        num_frames=16,
        drop_path_rate=0.1,
        out_type='pooled',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/videomae_vitb_k400_pretrain.pth',
        ),
    ),
    cls_head=dict(
        type=TimeSformerHead,
        num_classes=400,
        in_channels=768,
        dropout_ratio=0.5,
        init_std=0.02,
        label_smooth_eps=0.1,
        average_clips='prob',
    ),
    data_preprocessor=dict(
        type=ActionDataPreprocessor,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        blending=dict(
            type=RandomBatchAugment,
            augments=[
                dict(type=MixupBlending, alpha=0.8, num_classes=400),
                dict(type=CutmixBlending, alpha=1.0, num_classes=400),
            ],
        ),
    ),
)
train_pipeline = [
    dict(type=DecordInit),
    dict(type=SampleFrames, clip_len=16, frame_interval=4, num_clips=1),
    dict(type=DecordDecode),
    dict(type='Resize', scale=(-1, 256)),
    dict(type=VideoRandAugment, magnitude=7, num_layers=4, magnitude_std=0.5),
    dict(type=RandomResizedCrop, area_range=(0.08, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type=Flip, flip_ratio=0.5),
    dict(type=RandomErasing, erase_prob=0.25, mode='rand'),
    dict(type=FormatShape, input_format='NCTHW'),
    dict(type=PackActionInputs),
]
val_pipeline = [
    dict(type=DecordInit),
    dict(
        type=SampleFrames,
        clip_len=16,
        frame_interval=4,
        num_clips=1,
        test_mode=True,
    ),
    dict(type=DecordDecode),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type=FormatShape, input_format='NCTHW'),
    dict(type=PackActionInputs),
]
test_pipeline = [
    dict(type=DecordInit),
    dict(
        type=SampleFrames,
        clip_len=16,
        frame_interval=4,
        num_clips=5,
        test_mode=True,
    ),
    dict(type=DecordDecode),
    dict(type='Resize', scale=(-1, 224)),
    dict(type=ThreeCrop, crop_size=224),
    dict(type=FormatShape, input_format='NCTHW'),
    dict(type=PackActionInputs),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=SeededSampler, shuffle=True),
    dataset=dict(
        type=CheckedVideoDataset,
        ann_file='data/kinetics400/kinetics400_train_list_videos.txt',
        data_prefix=dict(video='data/kinetics400/videos_train'),
        num_classes=400,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=DefaultSampler, shuffle=False),
    dataset=dict(
        type=CheckedVideoDataset,
        ann_file='data/kinetics400/kinetics400_val_list_videos.txt',
        data_prefix=dict(video='data/kinetics400/videos_val'),
        num_classes=400,
        pipeline=val_pipeline,
        test_mode=True,
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=DefaultSampler, shuffle=False),
    dataset=dict(
        type=CheckedVideoDataset,
        ann_file='data/kinetics400/kinetics400_val_list_videos.txt',
        data_prefix=dict(video='data/kinetics400/videos_val'),
        num_classes=400,
        pipeline=test_pipeline,
        test_mode=True,
    ),
)
val_evaluator = dict(
    type=AccMetric,
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
)
test_evaluator = dict(
    type=AccMetric,
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
)
train_cfg = dict(
    type=EpochBasedTrainLoop,
    max_epochs=75,
    val_begin=1,
    val_interval=5,
)
val_cfg = dict(type=ValLoop)
test_cfg = dict(type=TestLoop)
optim_wrapper = dict(
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75),
    optimizer=dict(
        type=AdamW,
        lr=0.000125,
        betas=(0.9, 0.999),
        weight_decay=0.05,
    ),
    clip_grad=None,
)
param_scheduler = [
    dict(
        type=LinearLR,
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True,
    ),
    dict(
        type=CosineAnnealingLR,
        eta_min=1e-06,
        by_epoch=True,
        begin=5,
        convert_to_iter_based=True,
    ),
]
auto_scale_lr = dict(enable=False, base_batch_size=64)
