# ViT-B on UCF101 from VideoMAE pre-training on UCF101 (paper: 91.3 / 62.6
# top-1 on UCF101 / HMDB51 from their own pre-training).
_base_ = ['_base_/cls_vitb_ucf101.py']
