"""Screens and dialogs of the facilitator's app."""
