"""The unkind network lives in the package (``facilitator.bench.netproxy``), so that the
benchmarks pull through it too; tests import it from here as before."""

from facilitator.bench.netproxy import SEGMENT, UnkindNetwork

__all__ = ["SEGMENT", "UnkindNetwork"]
