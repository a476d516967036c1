# Generated from configs/_base_/ava_vitb_k400.py by
# tools/misc/new_style_configs.py: edit the text config and run the tool
# again (a test fails when they differ).
from mmaction.datasets import (
    Flip,
    FormatShape,
    PackActionInputs,
    RandomCrop,
    RandomRescale,
    RawFrameDecode,
    SampleAVAFrames,
)
from mmaction.models import (
    ActionDataPreprocessor,
    AVARoIHead,
    BBoxHeadAVA,
    MaxIoUAssignerAVA,
    SingleRoIExtractor3D,
)
from mmdet.models import FastRCNN
from mmdet.models.task_modules import RandomSampler
from mmengine.config import read_base
from mmengine.optim import CosineAnnealingLR, LinearLR
from mmengine.runner import EpochBasedTrainLoop, TestLoop, ValLoop
from torch.optim import AdamW

from videomae_det.datasets import (
    CheckedAVADataset,
    ContiguousSampler,
    SeededSampler,
)
from videomae_det.evaluation.ava import AVAFrameMAP
from videomae_det.models import VideoMAE

with read_base():
    from .._base_.default_runtime import *

default_hooks.checkpoint.save_best = 'mAP/overall'
default_hooks.checkpoint.max_keep_ckpts = 2
default_hooks.checkpoint.rule = 'greater'
pretrained = 'checkpoints/videomae_vitb_k400.pth'
arch = 'base'
embed_dims = 768
data_root = 'data/ava/rawframes'
anno_root = 'data/ava/annotations'
ann_file_train = 'data/ava/annotations/ava_train_v2.2.csv'
ann_file_val = 'data/ava/annotations/ava_val_v2.2.csv'
exclude_file_train = 'data/ava/annotations/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = 'data/ava/annotations/ava_val_excluded_timestamps_v2.2.csv'
label_file = 'data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_train = 'data/ava/annotations/ava_dense_proposals_train.FAIR.recall_93.9.pkl'
proposal_file_val = 'data/ava/annotations/ava_dense_proposals_val.FAIR.recall_93.9.pkl'
model = dict(
    type=FastRCNN,
    _scope_='mmdet',
    backbone=dict(
        type=VideoMAE,
        arch='base',
        img_size=224,
        num_frames=16,
        drop_path_rate=0.2,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/videomae_vitb_k400.pth',
            prefix='backbone.',
        ),
    ),
    roi_head=dict(
        type=AVARoIHead,
        bbox_roi_extractor=dict(
            type=SingleRoIExtractor3D,
            roi_layer_type='RoIAlign',
            output_size=8,
            with_temporal_pool=True,
        ),
        bbox_head=dict(
            type=BBoxHeadAVA,
            background_class=True,
            in_channels=768,
            num_classes=81,
            multilabel=True,
            dropout_ratio=0.5,
        ),
    ),
    data_preprocessor=dict(
        type=ActionDataPreprocessor,
        _scope_='mmaction',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
    ),
    train_cfg=dict(
        rcnn=dict(
            assigner=dict(
                type=MaxIoUAssignerAVA,
                pos_iou_thr=0.9,
                neg_iou_thr=0.9,
                min_pos_iou=0.9,
            ),
            sampler=dict(
                type=RandomSampler,
                num=32,
                pos_fraction=1,
                neg_pos_ub=-1,
                add_gt_as_proposals=True,
            ),
            pos_weight=1.0,
        ),
    ),
    test_cfg=dict(rcnn=None),
)
dataset_type = 'CheckedAVADataset'
ava_times = dict(timestamp_start=900, timestamp_end=1800, fps=30)
train_pipeline = [
    dict(type=SampleAVAFrames, clip_len=16, frame_interval=4),
    dict(type=RawFrameDecode),
    dict(type=RandomRescale, scale_range=(256, 320)),
    dict(type=RandomCrop, size=256),
    dict(type=Flip, flip_ratio=0.5),
    dict(type=FormatShape, input_format='NCTHW', collapse=True),
    dict(type=PackActionInputs),
]
val_pipeline = [
    dict(type=SampleAVAFrames, clip_len=16, frame_interval=4, test_mode=True),
    dict(type=RawFrameDecode),
    dict(type='Resize', scale=(-1, 256)),
    dict(type=FormatShape, input_format='NCTHW', collapse=True),
    dict(type=PackActionInputs),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=SeededSampler, shuffle=True),
    dataset=dict(
        type=CheckedAVADataset,
        ann_file='data/ava/annotations/ava_train_v2.2.csv',
        exclude_file='data/ava/annotations/ava_train_excluded_timestamps_v2.2.csv',
        pipeline=train_pipeline,
        label_file='data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt',
        proposal_file='data/ava/annotations/ava_dense_proposals_train.FAIR.recall_93.9.pkl',
        data_prefix=dict(img='data/ava/rawframes'),
        timestamp_start=900,
        timestamp_end=1800,
        fps=30,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=ContiguousSampler),
    dataset=dict(
        type=CheckedAVADataset,
        ann_file='data/ava/annotations/ava_val_v2.2.csv',
        exclude_file='data/ava/annotations/ava_val_excluded_timestamps_v2.2.csv',
        pipeline=val_pipeline,
        label_file='data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt',
        proposal_file='data/ava/annotations/ava_dense_proposals_val.FAIR.recall_93.9.pkl',
        data_prefix=dict(img='data/ava/rawframes'),
        test_mode=True,
        timestamp_start=900,
        timestamp_end=1800,
        fps=30,
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=ContiguousSampler),
    dataset=dict(
        type=CheckedAVADataset,
        ann_file='data/ava/annotations/ava_val_v2.2.csv',
        exclude_file='data/ava/annotations/ava_val_excluded_timestamps_v2.2.csv',
        pipeline=val_pipeline,
        label_file='data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt',
        proposal_file='data/ava/annotations/ava_dense_proposals_val.FAIR.recall_93.9.pkl',
        data_prefix=dict(img='data/ava/rawframes'),
        test_mode=True,
        timestamp_start=900,
        timestamp_end=1800,
        fps=30,
    ),
)
val_evaluator = dict(
    type=AVAFrameMAP,
    ann_file='data/ava/annotations/ava_val_v2.2.csv',
    label_file='data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt',
    exclude_file='data/ava/annotations/ava_val_excluded_timestamps_v2.2.csv',
)
test_evaluator = dict(
    type=AVAFrameMAP,
    ann_file='data/ava/annotations/ava_val_v2.2.csv',
    label_file='data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt',
    exclude_file='data/ava/annotations/ava_val_excluded_timestamps_v2.2.csv',
)
epochs = 20
warmup_epochs = 5
train_cfg = dict(
    type=EpochBasedTrainLoop,
    max_epochs=20,
    val_begin=1,
    val_interval=1,
)
val_cfg = dict(type=ValLoop)
test_cfg = dict(type=TestLoop)
param_scheduler = [
    dict(
        type=LinearLR,
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True,
    ),
    dict(
        type=CosineAnnealingLR,
        eta_min=0,
        by_epoch=True,
        begin=5,
        convert_to_iter_based=True,
    ),
]
optim_wrapper = dict(
    optimizer=dict(type=AdamW, lr=0.000125, weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75),
    clip_grad=dict(max_norm=40, norm_type=2),
)
auto_scale_lr = dict(enable=False, base_batch_size=64)
