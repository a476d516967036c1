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
from mmengine.config import read_base
from mmengine.optim import CosineAnnealingLR, LinearLR

with read_base():
    from ._base_.ava_vitb_k400 import *

default_hooks.checkpoint.interval = 10
default_hooks.checkpoint.save_best = None
pretrained = 'work_dirs/demo/pretrain/epoch_40.pth'
data_root = 'data/toy_ava'
anno_root = 'data/toy_ava/annotations'
ann_file_train = 'data/toy_ava/annotations/toy_train.csv'
ann_file_val = 'data/toy_ava/annotations/toy_val.csv'
exclude_file_train = 'data/toy_ava/annotations/toy_train_excluded_timestamps.csv'
exclude_file_val = 'data/toy_ava/annotations/toy_val_excluded_timestamps.csv'
label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
proposal_file_train = 'data/toy_ava/annotations/toy_dense_proposals_train.pkl'
proposal_file_val = 'data/toy_ava/annotations/toy_dense_proposals_val.pkl'
model.backbone.arch = dict(embed_dims=96, num_layers=4, num_heads=3)
model.backbone.img_size = 96
model.backbone.num_frames = 8
model.backbone.drop_path_rate = 0.1
model.backbone.init_cfg.checkpoint = 'work_dirs/demo/pretrain/epoch_40.pth'
model.roi_head.bbox_head.in_channels = 96
model.roi_head.bbox_head.num_classes = 6
model.roi_head.bbox_head.dropout_ratio = 0.2
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
train_dataloader.batch_size = 4
train_dataloader.num_workers = 0
train_dataloader.persistent_workers = False
train_dataloader.dataset.ann_file = 'data/toy_ava/annotations/toy_train.csv'
train_dataloader.dataset.exclude_file = 'data/toy_ava/annotations/toy_train_excluded_timestamps.csv'
train_dataloader.dataset.pipeline = train_pipeline
train_dataloader.dataset.label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
train_dataloader.dataset.proposal_file = 'data/toy_ava/annotations/toy_dense_proposals_train.pkl'
train_dataloader.dataset.data_prefix.img = 'data/toy_ava/rawframes'
train_dataloader.dataset.timestamp_end = 910
train_dataloader.dataset.num_classes = 6
val_dataloader.num_workers = 0
val_dataloader.persistent_workers = False
val_dataloader.dataset.ann_file = 'data/toy_ava/annotations/toy_val.csv'
val_dataloader.dataset.exclude_file = 'data/toy_ava/annotations/toy_val_excluded_timestamps.csv'
val_dataloader.dataset.pipeline = val_pipeline
val_dataloader.dataset.label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
val_dataloader.dataset.proposal_file = 'data/toy_ava/annotations/toy_dense_proposals_val.pkl'
val_dataloader.dataset.data_prefix.img = 'data/toy_ava/rawframes'
val_dataloader.dataset.timestamp_end = 910
val_dataloader.dataset.num_classes = 6
test_dataloader.num_workers = 0
test_dataloader.persistent_workers = False
test_dataloader.dataset.ann_file = 'data/toy_ava/annotations/toy_val.csv'
test_dataloader.dataset.exclude_file = 'data/toy_ava/annotations/toy_val_excluded_timestamps.csv'
test_dataloader.dataset.pipeline = val_pipeline
test_dataloader.dataset.label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
test_dataloader.dataset.proposal_file = 'data/toy_ava/annotations/toy_dense_proposals_val.pkl'
test_dataloader.dataset.data_prefix.img = 'data/toy_ava/rawframes'
test_dataloader.dataset.timestamp_end = 910
test_dataloader.dataset.num_classes = 6
val_evaluator.ann_file = 'data/toy_ava/annotations/toy_val.csv'
val_evaluator.label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
val_evaluator.exclude_file = 'data/toy_ava/annotations/toy_val_excluded_timestamps.csv'
val_evaluator.num_classes = 6
test_evaluator.ann_file = 'data/toy_ava/annotations/toy_val.csv'
test_evaluator.label_file = 'data/toy_ava/annotations/toy_action_list.pbtxt'
test_evaluator.exclude_file = 'data/toy_ava/annotations/toy_val_excluded_timestamps.csv'
test_evaluator.num_classes = 6
epochs = 40
warmup_epochs = 4
train_cfg.max_epochs = 40
train_cfg.val_interval = 40
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
optim_wrapper.optimizer.lr = 0.001
auto_scale_lr.base_batch_size = 4
num_classes = 6
clip_len = 8
frame_interval = 2
size = 96
toy = dict(timestamp_start=900, timestamp_end=910, fps=30, num_classes=6)
randomness = dict(seed=0)
