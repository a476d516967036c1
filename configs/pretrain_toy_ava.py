# Pre-train the toy detector's backbone (96 dims, 4 blocks) on the toy AVA
# videos, for the detection demo. Make the data with:
#   python tools/data/make_toy_ava.py data/toy_ava
_base_ = ['_base_/pretrain_vitb_k400.py']
num_frames, img_size = 8, 96
epochs, warmup_epochs = 30, 3

model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=96, num_layers=4,
                            num_heads=3),
                  img_size=img_size, num_frames=num_frames),
    decoder=dict(embed_dims=64, num_layers=2, num_heads=2),
    norm_target=False)  # raw pixels: see configs/pretrain_toy_clips.py
train_pipeline = [
    dict(type='DecodeClips', clip_len=num_frames, frame_interval=2,
         num_clips=4, short_side=img_size),
    dict(type='MultiScaleCropResize', size=img_size,
         scales=(1, .875, .75, .66), flip_ratio=0.5),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=2,
        dataset=dict(type='UnlabelledVideoDataset',
                     data_prefix=dict(video='data/toy_ava/videos'),
                     pipeline=train_pipeline)))
train_cfg = dict(max_epochs=epochs)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=epochs - warmup_epochs,
         eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=epochs,
         convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1),
                     logger=dict(interval=10))
log_processor = dict(window_size=10)
auto_scale_lr = dict(base_batch_size=4)
randomness = dict(seed=0)
