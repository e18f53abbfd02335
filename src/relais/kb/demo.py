"""Demo kb content (written by a helper: see kb/demo.py)."""

from relais.core.demo import DemoContext


def seed(ctx: DemoContext) -> str:
    return "kb: nothing yet"
