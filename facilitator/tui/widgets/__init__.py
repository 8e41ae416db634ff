"""Widgets of the session screen, one area each."""
