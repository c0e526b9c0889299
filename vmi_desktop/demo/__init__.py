"""Demo and scale data: a believable, deterministic VMI world generated in bulk."""

from __future__ import annotations

from vmi_desktop.demo.generator import GenerationStats, check_sizes, database_is_empty, generate

__all__ = ["GenerationStats", "check_sizes", "database_is_empty", "generate"]
