# ViT-H pre-training on Kinetics-400 sharded with FSDP: the recipe of
# pretrain_vith_k400.py (activation checkpointing on), each GPU holding 1/N
# of the weights, gradients and AdamW state. 64 GPUs x 32 clips, e.g.
#   GPUS=64 tools/slurm_train.sh PART vith configs/pretrain_vith_k400_fsdp.py
_base_ = ['pretrain_vith_k400.py', '_base_/fsdp.py']
