# A tiny VideoMAE classifier (96 dims, 4 blocks, 8px patches, 8 frames at
# 64px) on the generated toy set, fine-tuned from configs/pretrain_toy_cls.py
# on this CPU in minutes. The official recipe's structure (layer decay,
# drop path, label smoothing, warm-up + cosine, multi-view test 2 clips x 3
# crops) with the heavy augmentations (RandAugment, mixup/cutmix, random
# erasing) off: at 225 training clips they only slow learning down. Make
# the data with: python tools/data/make_toy_cls.py data/toy_cls
_base_ = ['_base_/cls_vitb_k400.py']

data_root = 'data/toy_cls'
num_classes, num_frames, img_size, epochs = 5, 8, 64, 30
pretrained = 'work_dirs/toy_cls/pretrain/epoch_40.pth'

model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=96, num_layers=4,
                            num_heads=3),
                  img_size=img_size, num_frames=num_frames, patch_size=8,
                  init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes, in_channels=96,
                  dropout_ratio=0.2),
    data_preprocessor=dict(blending=None))
train_pipeline = [
    dict(type='DecordInit', num_threads=1),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=2,
         num_clips=1),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit', num_threads=1),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=2,
         num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='ThreeCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
_data = dict(data_prefix=dict(video=data_root), num_classes=num_classes)
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    dataset=dict(ann_file=f'{data_root}/toy_cls_train.txt',
                 pipeline=train_pipeline, **_data))
val_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    dataset=dict(ann_file=f'{data_root}/toy_cls_val.txt',
                 pipeline=test_pipeline, **_data))
test_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    dataset=dict(ann_file=f'{data_root}/toy_cls_val.txt',
                 pipeline=test_pipeline, **_data))
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True,
         begin=3, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=10, save_best=None))
auto_scale_lr = dict(base_batch_size=8)
randomness = dict(seed=0)
