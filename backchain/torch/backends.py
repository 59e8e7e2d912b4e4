"""``torch.backends``: the flags programs query or set; every accelerator backend reports unavailable."""
import types

mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = types.SimpleNamespace(
    is_built=lambda: False,
    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=False))
cudnn = types.SimpleNamespace(enabled=False, benchmark=False, deterministic=False, allow_tf32=False,
                              is_available=lambda: False, version=lambda: None)
mkldnn = types.SimpleNamespace(is_available=lambda: False, enabled=False)
openmp = types.SimpleNamespace(is_available=lambda: False)
