"""The engine: Tensor (tensor.py), one-row primitives (primitive.py), the
reverse and forward sweeps (engine.py) and the primitives they rely on (basic.py)."""
