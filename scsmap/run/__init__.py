"""The run: plan → compute → write → commit; manifest, scheduler, windows, resume."""

from .pipeline import RunResult, run, select_products

__all__ = ["RunResult", "run", "select_products"]
