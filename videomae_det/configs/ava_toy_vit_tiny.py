# Generated from configs/ava_toy_vit-tiny.py by
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
from mmaction.visualization import ActionVisualizer
from mmdet.models import FastRCNN
from mmdet.models.task_modules import RandomSampler
from mmengine.dataset import DefaultSampler
from mmengine.hooks import (
    CheckpointHook,
    DistSamplerSeedHook,
    IterTimerHook,
    LoggerHook,
    ParamSchedulerHook,
    RuntimeInfoHook,
    SyncBuffersHook,
)
from mmengine.optim import CosineAnnealingLR, LinearLR
from mmengine.runner import (
    EpochBasedTrainLoop,
    LogProcessor,
    TestLoop,
    ValLoop,
)
from torch.optim import AdamW

from videomae_det.datasets import CheckedAVADataset, SeededSampler
from videomae_det.engine import NonFiniteLossHook, RandomStateHook
from videomae_det.evaluation.ava import AVAFrameMAP
from videomae_det.models import VideoMAE

custom_imports = dict(imports=['videomae_det'], allow_failed_imports=False)
default_scope = 'mmaction'
default_hooks = dict(
    runtime_info=dict(type=RuntimeInfoHook),
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, interval=20, ignore_last=False),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(
        type=CheckpointHook,
        interval=10,
        save_best=None,
        max_keep_ckpts=2,
        rule='greater',
    ),
    sampler_seed=dict(type=DistSamplerSeedHook),
    sync_buffers=dict(type=SyncBuffersHook),
)
custom_hooks = [
    dict(type=RandomStateHook),
    dict(type=NonFiniteLossHook, action='stop'),
]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
log_processor = dict(type=LogProcessor, window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type=ActionVisualizer,
    vis_backends=[dict(type='LocalVisBackend')],
)
log_level = 'INFO'
load_from = None
resume = False
pretrained = 'work_dirs/demo/pretrain/epoch_40.pth'
arch = 'base'
embed_dims = 768
data_root = 'data/toy_ava'
anno_root = 'data/toy_ava/annotations'
ann_file_train = 'data/toy_ava/annotations/toy_train.csv'
ann_file_val = 'data/toy_ava/annotations/toy_val.csv'
exclude_file_train = 'data/toy_ava/annotations/toy_train_excluded_timestamps.csv'
exclude_file_val = 'data/toy_ava/annotations/toy_val_excluded_timestamps.csv'
label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
proposal_file_train = 'data/toy_ava/annotations/toy_dense_proposals_train.pkl'
proposal_file_val = 'data/toy_ava/annotations/toy_dense_proposals_val.pkl'
model = dict(
    type=FastRCNN,
    _scope_='mmdet',
    backbone=dict(
        type=VideoMAE,
        arch=dict(embed_dims=96, num_layers=4, num_heads=3),
        img_size=96,
        num_frames=8,
        drop_path_rate=0.1,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/demo/pretrain/epoch_40.pth',
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
            in_channels=96,
            num_classes=6,
            multilabel=True,
            dropout_ratio=0.2,
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
train_pipeline = [
    dict(type=SampleAVAFrames, clip_len=8, frame_interval=2),
    dict(type=RawFrameDecode),
    dict(type=RandomRescale, scale_range=(96, 112)),
    dict(type=RandomCrop, size=96),
    dict(type=Flip, flip_ratio=0.5),
    dict(type=FormatShape, input_format='NCTHW', collapse=True),
    dict(type=PackActionInputs),
]
val_pipeline = [
    dict(type=SampleAVAFrames, clip_len=8, frame_interval=2, test_mode=True),
    dict(type=RawFrameDecode),
    dict(type='Resize', scale=(-1, 96)),
    dict(type=FormatShape, input_format='NCTHW', collapse=True),
    dict(type=PackActionInputs),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type=SeededSampler, shuffle=True),
    dataset=dict(
        type=CheckedAVADataset,
        ann_file='data/toy_ava/annotations/toy_train.csv',
        exclude_file='data/toy_ava/annotations/toy_train_excluded_timestamps.csv',
        pipeline=[
            dict(type=SampleAVAFrames, clip_len=8, frame_interval=2),
            dict(type=RawFrameDecode),
            dict(type=RandomRescale, scale_range=(96, 112)),
            dict(type=RandomCrop, size=96),
            dict(type=Flip, flip_ratio=0.5),
            dict(type=FormatShape, input_format='NCTHW', collapse=True),
            dict(type=PackActionInputs),
        ],
        label_file='data/toy_ava/annotations/toy_action_list.pbtxt',
        proposal_file='data/toy_ava/annotations/toy_dense_proposals_train.pkl',
        data_prefix=dict(img='data/toy_ava/rawframes'),
        timestamp_start=900,
        timestamp_end=910,
        fps=30,
        num_classes=6,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type=DefaultSampler, shuffle=False),
    dataset=dict(
        type=CheckedAVADataset,
        ann_file='data/toy_ava/annotations/toy_val.csv',
        exclude_file='data/toy_ava/annotations/toy_val_excluded_timestamps.csv',
        pipeline=[
            dict(
                type=SampleAVAFrames,
                clip_len=8,
                frame_interval=2,
                test_mode=True,
            ),
            dict(type=RawFrameDecode),
            dict(type='Resize', scale=(-1, 96)),
            dict(type=FormatShape, input_format='NCTHW', collapse=True),
            dict(type=PackActionInputs),
        ],
        label_file='data/toy_ava/annotations/toy_action_list.pbtxt',
        proposal_file='data/toy_ava/annotations/toy_dense_proposals_val.pkl',
        data_prefix=dict(img='data/toy_ava/rawframes'),
        test_mode=True,
        timestamp_start=900,
        timestamp_end=910,
        fps=30,
        num_classes=6,
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type=DefaultSampler, shuffle=False),
    dataset=dict(
        type=CheckedAVADataset,
        ann_file='data/toy_ava/annotations/toy_val.csv',
        exclude_file='data/toy_ava/annotations/toy_val_excluded_timestamps.csv',
        pipeline=[
            dict(
                type=SampleAVAFrames,
                clip_len=8,
                frame_interval=2,
                test_mode=True,
            ),
            dict(type=RawFrameDecode),
            dict(type='Resize', scale=(-1, 96)),
            dict(type=FormatShape, input_format='NCTHW', collapse=True),
            dict(type=PackActionInputs),
        ],
        label_file='data/toy_ava/annotations/toy_action_list.pbtxt',
        proposal_file='data/toy_ava/annotations/toy_dense_proposals_val.pkl',
        data_prefix=dict(img='data/toy_ava/rawframes'),
        test_mode=True,
        timestamp_start=900,
        timestamp_end=910,
        fps=30,
        num_classes=6,
    ),
)
val_evaluator = dict(
    type=AVAFrameMAP,
    ann_file='data/toy_ava/annotations/toy_val.csv',
    label_file='data/toy_ava/annotations/toy_action_list.pbtxt',
    exclude_file='data/toy_ava/annotations/toy_val_excluded_timestamps.csv',
    num_classes=6,
)
test_evaluator = dict(
    type=AVAFrameMAP,
    ann_file='data/toy_ava/annotations/toy_val.csv',
    label_file='data/toy_ava/annotations/toy_action_list.pbtxt',
    exclude_file='data/toy_ava/annotations/toy_val_excluded_timestamps.csv',
    num_classes=6,
)
epochs = 40
warmup_epochs = 4
train_cfg = dict(
    type=EpochBasedTrainLoop,
    max_epochs=40,
    val_begin=1,
    val_interval=40,
)
val_cfg = dict(type=ValLoop)
test_cfg = dict(type=TestLoop)
param_scheduler = [
    dict(
        type=LinearLR,
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=4,
        convert_to_iter_based=True,
    ),
    dict(
        type=CosineAnnealingLR,
        eta_min=0,
        by_epoch=True,
        begin=4,
        convert_to_iter_based=True,
    ),
]
optim_wrapper = dict(
    optimizer=dict(type=AdamW, lr=0.001, weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75),
    clip_grad=dict(max_norm=40, norm_type=2),
)
auto_scale_lr = dict(enable=False, base_batch_size=4)
num_classes = 6
clip_len = 8
frame_interval = 2
size = 96
toy = dict(timestamp_start=900, timestamp_end=910, fps=30, num_classes=6)
randomness = dict(seed=0)
