"""One event, many rooms: the organiser's side.

- :mod:`facilitator.event.file`: the event file beside the rooms' session files (the rooms,
  their organiser links, themes mapped onto each other), which never changes a room's file.
- :mod:`facilitator.event.rooms`: the rooms' session files (or exports) opened read-only for
  ``facilitator event report``.
- a room's read-only summary for the organiser is :mod:`facilitator.session.summary`: the room's
  server (facilitator.web) answers it on its organiser link and the watch reads it back, so
  neither of the two imports the other.
- :mod:`facilitator.event.watch`: the organiser's laptop pulling every room's summary, and the
  overview of the day that the watch TUI and the event wall show.
- :mod:`facilitator.event.wall`: the event wall, a page the organiser's laptop serves.

The rules these follow (which groups may be named across rooms, how rankings and themes of
different rooms go together) are in facilitator.core.privacy and facilitator.core.combine.
"""
