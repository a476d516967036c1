# VideoMAE ViT-B (K400 pre-trained) on AVA v2.2: mmdet FastRCNN with our
# VideoMAE backbone (last feature map, after the final norm) and mmaction2's
# AVARoIHead (RoIAlign 8x8, temporal pooling, multi-label BBoxHeadAVA over
# 80 actions + background). Recipe of mmaction2's VideoMAE AVA configs
# (33.6 / 38.7 mAP for ViT-B / ViT-L): 16 frames at stride 4, AdamW lr
# 1.25e-4 for a total batch of 64, weight decay 0.05, layer decay 0.75,
# drop path 0.2, gradient clipping 40, 5 warm-up epochs then cosine, 20
# epochs; short side 256 at test; FAIR person proposals.
_base_ = ['default_runtime.py']

# a local file: our pre-training checkpoint (or a converted one); a missing
# file is an error naming the path, never a download
pretrained = 'checkpoints/videomae_vitb_k400.pth'
arch, embed_dims = 'base', 768

data_root = 'data/ava/rawframes'
anno_root = 'data/ava/annotations'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_train = (f'{anno_root}/ava_dense_proposals_train.FAIR.'
                       'recall_93.9.pkl')
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'

model = dict(
    type='FastRCNN',
    _scope_='mmdet',
    backbone=dict(
        type='mmaction.VideoMAE',
        arch=arch,
        img_size=224,
        num_frames=16,
        drop_path_rate=0.2,
        out_type='featmap',  # final LayerNorm applied, as mmaction2's
        init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                      prefix='backbone.')),
    roi_head=dict(
        type='AVARoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor3D',
            roi_layer_type='RoIAlign',
            output_size=8,
            with_temporal_pool=True),
        bbox_head=dict(
            type='BBoxHeadAVA',
            background_class=True,
            in_channels=embed_dims,
            num_classes=81,
            multilabel=True,
            dropout_ratio=0.5)),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        _scope_='mmaction',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'),
    train_cfg=dict(
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssignerAVA',
                pos_iou_thr=0.9,
                neg_iou_thr=0.9,
                min_pos_iou=0.9),
            sampler=dict(
                type='RandomSampler',
                num=32,
                pos_fraction=1,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=1.0)),
    test_cfg=dict(rcnn=None))

dataset_type = 'CheckedAVADataset'  # mmaction2's, with bad-sample handling
# AVA's annotation times: its videos are cut to the 15-minute segments that
# start at 900 s (the dataset's default is seconds from each video's start,
# with each video's length learned from it)
ava_times = dict(timestamp_start=900, timestamp_end=1800, fps=30)
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=4),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=256),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=4,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),  # exact resume
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        pipeline=train_pipeline,
        label_file=label_file,
        proposal_file=proposal_file_train,
        data_prefix=dict(img=data_root),
        **ava_times))
val_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    # each rank and loader worker reads a stretch of keyframes in order (a
    # streaming video reader decodes a video once, not once per worker)
    sampler=dict(type='ContiguousSampler'),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        pipeline=val_pipeline,
        label_file=label_file,
        proposal_file=proposal_file_val,
        data_prefix=dict(img=data_root),
        test_mode=True,
        **ava_times))
test_dataloader = val_dataloader

# the official rules, not mmaction2's AVAMetric (see docs/evaluation.md)
val_evaluator = dict(
    type='AVAFrameMAP',
    ann_file=ann_file_val,
    label_file=label_file,
    exclude_file=exclude_file_val)
test_evaluator = val_evaluator

epochs, warmup_epochs = 20, 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_begin=1,
                 val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1.25e-4, weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75),
    clip_grad=dict(max_norm=40, norm_type=2))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=2,
                                     save_best='mAP/overall', rule='greater'))
# total batch 64 = 8 GPUs x 8 clips
auto_scale_lr = dict(enable=False, base_batch_size=64)
