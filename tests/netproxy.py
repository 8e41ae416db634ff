"""The unkind network lives beside the benchmarks (``bench/netproxy.py``, outside the package
and its wheel), so that they pull through it too; tests import it from here as before."""

from bench.netproxy import SEGMENT, UnkindNetwork

__all__ = ["SEGMENT", "UnkindNetwork"]
