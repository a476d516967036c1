# ViT-B on UCF101, transferred from VideoMAE pre-training on Kinetics-400
# (paper: UCF101 96.1, HMDB51 73.3).
_base_ = ['_base_/cls_vitb_ucf101.py']

pretrained = 'checkpoints/videomae_vitb_k400_pretrain.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
