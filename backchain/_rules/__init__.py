"""Rule files, one per family of primitives. Each declares its primitives in one
row apiece (forward, VJP, JVP or a shorthand, kinks) and the NumPy-signature
functions built on them; ``backchain.numpy`` re-exports their ``__all__``."""
