# ViT-B fine-tuned on UCF101 (split 1) from VideoMAE pre-training on
# UCF101 itself (the paper's data-efficiency setting): the K400 recipe with
# UCF101's lists and classes, 100 epochs, lr 0.0005 x total batch / 256. The
# official scripts sample at stride 2 on this set; here the K400 stride 4
# stays (change it in the SampleFrames steps to follow them).
_base_ = ['cls_vitb_k400.py']

num_classes = 101
data_root = 'data/ucf101/videos'
ann_file_train = 'data/ucf101/ucf101_train_split_1_videos.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_1_videos.txt'
pretrained = 'checkpoints/videomae_vitb_ucf101_pretrain.pth'
total_batch = 64

model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)
    ])))
train_dataloader = dict(dataset=dict(
    ann_file=ann_file_train, data_prefix=dict(video=data_root),
    num_classes=num_classes))
val_dataloader = dict(dataset=dict(
    ann_file=ann_file_val, data_prefix=dict(video=data_root),
    num_classes=num_classes))
test_dataloader = dict(dataset=dict(
    ann_file=ann_file_val, data_prefix=dict(video=data_root),
    num_classes=num_classes))
optim_wrapper = dict(optimizer=dict(lr=0.0005 * total_batch / 256))
train_cfg = dict(max_epochs=100)
