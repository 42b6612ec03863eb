"""Register small records as JAX pytrees: numbers are traced leaves, the rest is static.

A game's or a scheme's numbers (a learning rate, a penalty weight) travel as traced
leaves, so moving a slider changes data, not the compiled program. Rebuilding a node
bypasses ``__init__``: user-facing checks run once, when a person builds the record.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax


def register(cls: type, data: Sequence[str], meta: Sequence[str] = ()) -> type:
    """Register ``cls`` with ``data`` attributes as children and ``meta`` as aux data."""
    data, meta = tuple(data), tuple(meta)

    def flatten(obj):
        return tuple(getattr(obj, f) for f in data), tuple(getattr(obj, f) for f in meta)

    def unflatten(aux, children):
        obj = object.__new__(cls)
        for name, value in zip(data, children, strict=True):
            object.__setattr__(obj, name, value)
        for name, value in zip(meta, aux, strict=True):
            object.__setattr__(obj, name, value)
        return obj

    jax.tree_util.register_pytree_node(cls, flatten, unflatten)
    return cls
