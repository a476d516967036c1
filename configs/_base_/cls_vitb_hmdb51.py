# ViT-B fine-tuned on HMDB51 (split 1) from VideoMAE pre-training on
# HMDB51 itself (the paper's data-efficiency setting): the K400 recipe with
# HMDB51's lists and classes, 50 epochs, lr 0.001 x total batch / 256. The
# official scripts sample at stride 2 on this set; here the K400 stride 4
# stays (change it in the SampleFrames steps to follow them).
_base_ = ['cls_vitb_k400.py']

num_classes = 51
data_root = 'data/hmdb51/videos'
ann_file_train = 'data/hmdb51/hmdb51_train_split_1_videos.txt'
ann_file_val = 'data/hmdb51/hmdb51_val_split_1_videos.txt'
pretrained = 'checkpoints/videomae_vitb_hmdb51_pretrain.pth'
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
optim_wrapper = dict(optimizer=dict(lr=0.001 * total_batch / 256))
train_cfg = dict(max_epochs=50)
