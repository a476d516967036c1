# VideoMAE ViT-B (K400 pre-trained) on UCF101-24 (UCF101v2-GT.pkl, split 0,
# frames at rgb-images/<Class>/<video>/00001.jpg): frame-mAP@0.5 over every
# frame of the 910 test videos and video-mAP after linking, ACT/MOC rules.
# Clip and input from the class-query detector's VideoMAE ViT-B UCF101-24
# config (configuration/UCF_ViT-B.yaml: 32 consecutive frames, 224 crops of
# a 256 short side); its schedule (its authors' development configs, not
# the paper: 16 epochs, 3 of warm-up, lr x0.1 at 14) with the optimiser of
# our AVA ViT-B recipe. Test boxes: a person detector's, written by
# tools/data/tubes/detect_people.py (UCF101-24 has no released set).
_base_ = ['_base_/tubes_vitb_k400.py']

data_root = 'data/ucf24'
ann_file = f'{data_root}/UCF101v2-GT.pkl'
proposal_file_test = f'{data_root}/person_boxes_test.pkl'
num_classes = 25  # 24 actions + background
clip_len, frame_interval = 32, 1

model = dict(backbone=dict(num_frames=clip_len),
             roi_head=dict(bbox_head=dict(num_classes=num_classes)))
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=224),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
data = dict(ann_file=ann_file, data_prefix=dict(img=f'{data_root}/rgb-images'),
            filename_tmpl='{:05d}.jpg')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, **data))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline,
                                   proposal_file=proposal_file_test, **data))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file, protocol='ucf-jhmdb')
test_evaluator = val_evaluator

epochs, warmup_epochs = 16, 3
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=warmup_epochs,
         milestones=[14], gamma=0.1)
]
