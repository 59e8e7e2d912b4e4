"""``backchain.autograd.wrap_util``: ``unary_to_nary``, for operators written as autograd's are."""
from ._operators import unary_to_nary  # noqa: F401

__all__ = ["unary_to_nary"]
