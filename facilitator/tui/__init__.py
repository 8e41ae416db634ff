"""The facilitator's terminal app (Textual): run a whole session from the laptop."""
