# VideoMAE pre-training, ViT-B on Kinetics-400: the official recipe.
# 16 frames at stride 4, multi-scale crop + flip, tube mask 90%, decoder
# 384 dims x 4 blocks, normalised-pixel MSE; AdamW (0.9, 0.95), lr 1.5e-4 x
# total batch / 256, weight decay 0.05, 40 warm-up epochs then cosine to
# 1e-5. Total batch 2048 = 64 GPUs x 32. With fewer GPUs keep the total
# batch through gradient accumulation, e.g. 8 GPUs x 32 x 8 steps:
#   --cfg-options optim_wrapper.accumulative_counts=8
# (the lr stays the one of batch 2048); or change the total batch and pass
# --auto-scale-lr, which rescales lr by actual batch / 2048 (accumulation
# not counted by mmengine: scale by hand when you combine both).
_base_ = ['default_runtime.py']

data_root = 'data/kinetics400/videos_train'
ann_file = 'data/kinetics400/kinetics400_train_list_videos.txt'
num_frames, frame_interval, img_size = 16, 4, 224
batch_per_gpu, total_batch = 32, 2048
epochs, warmup_epochs = 1600, 40
base_lr = 1.5e-4 * total_batch / 256

model = dict(
    type='VideoMAEPretrainer',
    backbone=dict(
        type='VideoMAE', arch='base', img_size=img_size,
        num_frames=num_frames, drop_path_rate=0.0),
    # width and heads follow the encoder (pretrainer.DECODER_SETTINGS)
    decoder=dict(num_layers=4),
    norm_target=True,
    data_preprocessor=dict(
        type='MaskedVideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        mask_type='tube',
        mask_ratio=0.9))

train_pipeline = [
    # repeated sampling (VideoMAE V2): num_clips > 1 decodes once per video
    dict(type='DecodeClips', clip_len=num_frames,
         frame_interval=frame_interval, num_clips=1, short_side=256),
    dict(type='MultiScaleCropResize', size=img_size,
         scales=(1, .875, .75, .66), flip_ratio=0.5),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=batch_per_gpu,
    num_workers=10,
    persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),  # exact resume
    dataset=dict(
        type='UnlabelledVideoDataset',
        ann_file=ann_file,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.95),
                   weight_decay=0.05),
    # the official code decays no bias, norm or 1-D parameter
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys=dict(mask_token=dict(decay_mult=0.0),
                                        pos_embed=dict(decay_mult=0.0))))
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=3,
                    save_best=None),
    logger=dict(type='LoggerHook', interval=50))
auto_scale_lr = dict(enable=False, base_batch_size=total_batch)
