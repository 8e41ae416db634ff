"""facilitator: run a live co-creation workshop from one laptop."""

__version__ = "0.1.0"
