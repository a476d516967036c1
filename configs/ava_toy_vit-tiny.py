# A tiny VideoMAE detector on the generated toy AVA set (5 actions), for CPU
# runs and tests. Make the data with:
#   python tools/data/make_toy_ava.py data/toy_ava
_base_ = ['_base_/ava_vitb_k400.py']

data_root = 'data/toy_ava'
anno_root = f'{data_root}/annotations'
ann_file_train = f'{anno_root}/toy_train.csv'
ann_file_val = f'{anno_root}/toy_val.csv'
exclude_file_train = f'{anno_root}/toy_train_excluded_timestamps.csv'
exclude_file_val = f'{anno_root}/toy_val_excluded_timestamps.csv'
label_file = f'{anno_root}/toy_action_list.pbtxt'
proposal_file_train = f'{anno_root}/toy_dense_proposals_train.pkl'
proposal_file_val = f'{anno_root}/toy_dense_proposals_val.pkl'
num_classes = 6  # 5 actions + background
# made by `make demo` (configs/pretrain_toy_ava.py); train from scratch
# with --cfg-options model.backbone.init_cfg=None
pretrained = 'work_dirs/demo/pretrain/epoch_40.pth'
clip_len, frame_interval, size = 8, 2, 96

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=96, num_layers=4, num_heads=3),
        img_size=size, num_frames=clip_len, drop_path_rate=0.1,
        init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=96, num_classes=num_classes,
                                 dropout_ratio=0.2)))

toy = dict(timestamp_start=900, timestamp_end=910, fps=30,
           num_classes=num_classes)
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
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=ann_file_train, exclude_file=exclude_file_train,
                 label_file=label_file, proposal_file=proposal_file_train,
                 data_prefix=dict(img=f'{data_root}/rawframes'),
                 pipeline=train_pipeline, **toy))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=ann_file_val, exclude_file=exclude_file_val,
                 label_file=label_file, proposal_file=proposal_file_val,
                 data_prefix=dict(img=f'{data_root}/rawframes'),
                 pipeline=val_pipeline, **toy))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file_val, exclude_file=exclude_file_val,
                     label_file=label_file, num_classes=num_classes)
test_evaluator = val_evaluator

epochs, warmup_epochs = 40, 4
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=10, save_best=None))
auto_scale_lr = dict(base_batch_size=4)
randomness = dict(seed=0)
