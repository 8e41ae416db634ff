"""The session's host, and the facilitator's screen's handle on it.

``facilitator run`` and ``demo`` run a session in two processes: the host (:mod:`.serve`)
holds the session file, runs the group commit and answers the phones; the TUI keeps a
:class:`~facilitator.host.copy.SessionCopy` of the session and draws the screen. The app knows
one type, :class:`~facilitator.host.handle.Host`: :class:`~facilitator.host.handle.ChildHost`
starts the host as a child process over loopback TCP, and
:class:`~facilitator.host.handle.InProcessHost` runs the same protocol over a socket pair in
the app's own loop (the TUI's tests). What they say to each other is :mod:`.frames`.
"""
