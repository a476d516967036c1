# ViT-B on AVA v2.2 (paper: 26.7 mAP with K400 pre-training alone).
_base_ = ['_base_/ava_vitb_k400.py']
