"""Plug-in registries: a name maps to a dotted path "module:Class", imported and instantiated on
first use, so a detector, embedder or scheme nobody asks for is never loaded."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def instantiate(registry: Mapping[str, str], name: str, kind: str) -> Any:
    """A new instance of the class registered as `name` (callers cache it)."""
    try:
        module_name, _, attr = registry[name].partition(":")
    except KeyError:
        raise ValueError(f"Unknown {kind} {name!r}; choose one of {sorted(registry)}") from None
    return getattr(importlib.import_module(module_name), attr)()
