# ViT-B on HMDB51 from VideoMAE pre-training on HMDB51 (paper: 91.3 / 62.6
# top-1 on UCF101 / HMDB51 from their own pre-training).
_base_ = ['_base_/cls_vitb_hmdb51.py']
