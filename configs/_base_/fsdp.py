# Sharded data parallel (FSDP) through mmengine's FlexibleRunner: each GPU
# holds 1/N of the parameters, gradients and AdamW state (README: memory).
# Add it after a recipe: _base_ = ['<recipe>.py', '_base_/fsdp.py'].
runner_type = 'FlexibleRunner'
strategy = dict(
    type='CheckedFSDPStrategy',
    model_wrapper=dict(
        # one FSDP unit per transformer block, the rest in the root unit
        auto_wrap_policy='vit_block_wrap_policy',
        # keeps per-parameter lr and weight decay (layer decay, no decay on
        # norms and biases) exactly as under DDP
        use_orig_params=True,
        # bf16 compute and all-gathers, fp32 gradient reduction (A100/H100);
        # the video stays fp32 (the pre-training target is computed from it)
        mixed_precision=dict(param_dtype='bfloat16', reduce_dtype='float32',
                             buffer_dtype='float32',
                             cast_root_forward_inputs=False)),
    # 'full': one consolidated file per checkpoint, readable by every tool;
    # 'sharded': a folder of one file per rank (faster, resumable on as many
    # ranks); resuming reads either form
    state_dict_cfg='full')
