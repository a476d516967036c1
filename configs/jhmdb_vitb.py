# VideoMAE ViT-B (K400 pre-trained) on JHMDB-21 (JHMDB-GT.pkl, frames at
# Frames/<class>/<video>/00001.png), one of its 3 splits: `--cfg-options
# split=1` (tools/tube_splits.sh runs all three and averages,
# as the literature reports JHMDB). ACT/MOC rules; every frame tested.
# Clip and input from the class-query detector's VideoMAE ViT-B JHMDB-21
# config (configuration/JHMDB_ViT-B.yaml: 40 consecutive frames, 256 crops
# of a 288 short side); its authors' development schedule (160 epochs, 10
# of warm-up, lr x0.1 at 120; an older version had 50) with the optimiser
# of our AVA ViT-B recipe. Test boxes from a person detector
# (tools/data/tubes/detect_people.py).
_base_ = ['ucf24_vitb.py']

data_root = 'data/jhmdb'
ann_file = f'{data_root}/JHMDB-GT.pkl'
proposal_file_test = f'{data_root}/person_boxes_test.pkl'
num_classes = 22  # 21 actions + background
clip_len, frame_interval, size = 40, 1, 256

model = dict(backbone=dict(num_frames=clip_len, img_size=size),
             roi_head=dict(bbox_head=dict(num_classes=num_classes)))
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(288, 352)),
    dict(type='RandomCrop', size=size),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 288)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
data = dict(ann_file=ann_file, data_prefix=dict(img=f'{data_root}/Frames'),
            filename_tmpl='{:05d}.png')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, **data))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline,
                                   proposal_file=proposal_file_test, **data))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file)
test_evaluator = val_evaluator

epochs, warmup_epochs = 160, 10
train_cfg = dict(max_epochs=epochs, val_interval=20)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=warmup_epochs,
         milestones=[120], gamma=0.1)
]
