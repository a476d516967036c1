# A tiny VideoMAE detector on the generated toy tube set (4 actions, the
# ACT format, UCF101-24's layout), for CPU runs and tests; `make
# demo-tubes` runs it. Make the data with:
#   python tools/data/make_toy_tubes.py data/toy_tubes
_base_ = ['_base_/tubes_vitb_k400.py']

data_root = 'data/toy_tubes'
ann_file = f'{data_root}/toy_tubes_GT.pkl'
proposal_file = f'{data_root}/toy_tubes_proposals.pkl'
num_classes = 5  # 4 actions + background
clip_len, frame_interval, size = 8, 2, 96

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=96, num_layers=4, num_heads=3),
        img_size=size, num_frames=clip_len, drop_path_rate=0.1,
        init_cfg=None),
    roi_head=dict(bbox_head=dict(in_channels=96, num_classes=num_classes,
                                 dropout_ratio=0.2, topk=(1, 3))))

train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(size, size + 16)),
    dict(type='RandomCrop', size=size),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, size)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
# every frame trains (people who do not act are the negatives), every
# third one for speed; tests on every frame, the ACT/MOC protocol
data = dict(ann_file=ann_file, proposal_file=proposal_file,
            data_prefix=dict(img=f'{data_root}/rgb-images'))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(keyframes='all', keyframe_stride=3,
                 pipeline=train_pipeline, **data))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=val_pipeline, **data))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file)
test_evaluator = val_evaluator

epochs, warmup_epochs = 40, 4
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=epochs, save_best=None))
auto_scale_lr = dict(base_batch_size=8)
randomness = dict(seed=0)
