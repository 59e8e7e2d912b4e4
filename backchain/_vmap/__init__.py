"""Automatic batching: ``backchain.vmap`` (DESIGN.md section 6).

``batched.py`` holds the batched value and the hook in the primitive caller, ``rules.py`` the
rules of the ``batch=`` column, ``shared.py`` two products for parameters shared by the batch, and
``api.py`` the transform itself and the derivatives taken inside it.
"""
