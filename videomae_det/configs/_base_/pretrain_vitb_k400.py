# Generated from configs/_base_/pretrain_vitb_k400.py by
# tools/misc/new_style_configs.py: edit the text config and run the tool
# again (a test fails when they differ).
from mmaction.datasets import PackActionInputs
from mmengine.config import read_base
from mmengine.optim import CosineAnnealingLR, LinearLR
from mmengine.runner import EpochBasedTrainLoop
from torch.optim import AdamW

from videomae_det.datasets import (
    DecodeClips,
    MultiScaleCropResize,
    SeededSampler,
    UnlabelledVideoDataset,
)
from videomae_det.models import (
    MaskedVideoDataPreprocessor,
    VideoMAE,
    VideoMAEPretrainer,
)

with read_base():
    from .._base_.default_runtime import *

default_hooks.logger.interval = 50
default_hooks.checkpoint.interval = 20
default_hooks.checkpoint.save_best = None
default_hooks.checkpoint.max_keep_ckpts = 3
data_root = 'data/kinetics400/videos_train'
ann_file = 'data/kinetics400/kinetics400_train_list_videos.txt'
num_frames = 16
frame_interval = 4
img_size = 224
batch_per_gpu = 32
total_batch = 2048
epochs = 1600
warmup_epochs = 40
base_lr = 0.0012
model = dict(
    type=VideoMAEPretrainer,
    backbone=dict(
        type=VideoMAE,
        arch='base',
        img_size=224,
        num_frames=16,
        drop_path_rate=0.0,
    ),
    decoder=dict(num_layers=4),
    norm_target=True,
    data_preprocessor=dict(
        type=MaskedVideoDataPreprocessor,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        mask_type='tube',
        mask_ratio=0.9,
    ),
)
train_pipeline = [
    dict(
        type=DecodeClips,
        clip_len=16,
        frame_interval=4,
        num_clips=1,
        short_side=256,
    ),
    dict(
        type=MultiScaleCropResize,
        size=224,
        scales=(1, 0.875, 0.75, 0.66),
        flip_ratio=0.5,
    ),
    dict(type=PackActionInputs),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=10,
    persistent_workers=True,
    sampler=dict(type=SeededSampler, shuffle=True),
    dataset=dict(
        type=UnlabelledVideoDataset,
        ann_file='data/kinetics400/kinetics400_train_list_videos.txt',
        data_prefix=dict(video='data/kinetics400/videos_train'),
        pipeline=train_pipeline,
    ),
)
train_cfg = dict(type=EpochBasedTrainLoop, max_epochs=1600)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
optim_wrapper = dict(
    optimizer=dict(
        type=AdamW,
        lr=0.0012,
        betas=(0.9, 0.95),
        weight_decay=0.05,
    ),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys=dict(
            mask_token=dict(decay_mult=0.0),
            pos_embed=dict(decay_mult=0.0),
        ),
    ),
)
param_scheduler = [
    dict(
        type=LinearLR,
        start_factor=0.0001,
        by_epoch=True,
        begin=0,
        end=40,
        convert_to_iter_based=True,
    ),
    dict(
        type=CosineAnnealingLR,
        eta_min=1e-05,
        by_epoch=True,
        begin=40,
        convert_to_iter_based=True,
    ),
]
auto_scale_lr = dict(enable=False, base_batch_size=2048)
