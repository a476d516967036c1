# VideoMAE fine-tuning for classification, ViT-B on Kinetics-400: the
# official recipe. mmaction2 Recognizer3D + our VideoMAE (mean pooling +
# fc_norm) + a linear head (TimeSformerHead) with dropout; 16 frames at
# stride 4, 224px; AdamW (0.9, 0.999), lr 5e-4 x total batch / 256, weight
# decay 0.05, layer decay 0.75, drop path 0.1, 5 warm-up epochs then cosine
# to 1e-6, 75 epochs; RandAugment m7-n4-mstd0.5 (same draw on every frame),
# random erasing 0.25, mixup 0.8 / cutmix 1.0 (one of the two per batch),
# label smoothing 0.1. Test: 5 clips x 3 crops at short side 224, softmax
# scores averaged; top-1, top-5 and mean class accuracy.
# Total batch 64 = 8 GPUs x 8; with another total batch pass --auto-scale-lr.
_base_ = ['default_runtime.py']

dataset_type = 'CheckedVideoDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
num_classes = 400
num_frames, frame_interval, img_size = 16, 4, 224
test_clips, test_crops = 5, 3
batch_per_gpu, total_batch = 8, 64
epochs, warmup_epochs = 75, 5
layer_decay, base_lr = 0.75, 5e-4
# made by configs/pretrain_vitb_k400.py (or any format
# tools/convert_checkpoint.py reads); from scratch: pretrained = None
pretrained = 'checkpoints/videomae_vitb_k400_pretrain.pth'

model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoMAE', arch='base', img_size=img_size,
        num_frames=num_frames, drop_path_rate=0.1, out_type='pooled',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(
        type='TimeSformerHead', num_classes=num_classes, in_channels=768,
        dropout_ratio=0.5, init_std=0.02, label_smooth_eps=0.1,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8,
                     num_classes=num_classes),
                dict(type='CutmixBlending', alpha=1.0,
                     num_classes=num_classes)
            ])))

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=num_frames,
         frame_interval=frame_interval, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='VideoRandAugment', magnitude=7, num_layers=4,
         magnitude_std=0.5),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=num_frames,
         frame_interval=frame_interval, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=num_frames,
         frame_interval=frame_interval, num_clips=test_clips,
         test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='ThreeCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=batch_per_gpu, num_workers=8, persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),  # exact resume
    dataset=dict(type=dataset_type, ann_file=ann_file_train,
                 data_prefix=dict(video=data_root), num_classes=num_classes,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_per_gpu, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val),
                 num_classes=num_classes, pipeline=val_pipeline,
                 test_mode=True))
test_dataloader = dict(
    batch_size=1, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val),
                 num_classes=num_classes, pipeline=test_pipeline,
                 test_mode=True))
val_evaluator = dict(type='AccMetric', metric_list=(
    'top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_begin=1,
                 val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=layer_decay),
    optimizer=dict(type='AdamW', lr=base_lr * total_batch / 256,
                   betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=None)
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3,
                                     save_best='acc/top1'))
auto_scale_lr = dict(enable=False, base_batch_size=total_batch)
