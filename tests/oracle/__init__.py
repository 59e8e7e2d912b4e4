"""Differential tests against PyTorch and JAX (issue #16, section 7).

``ops.py`` holds one description per public differentiable function: the backchain callable, its JAX or
PyTorch counterpart, a sampler, tolerances and any documented difference. ``harness.py`` turns a description
into checks (values and result dtype, VJP, JVP, second order, gradient dtypes) on several input layouts
(contiguous, 0-d, empty, broadcast, transposed, negative-stride, stride-0) in float64 and float32.
``test_oracle.py`` runs them. A fixed seed picks the layouts run by default;
``BACKCHAIN_ORACLE_EXAMPLES=<n>`` runs n sampled layout/dtype combinations per op (``all`` runs every one).
"""
