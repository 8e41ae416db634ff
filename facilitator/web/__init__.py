"""The participant server: phone pages, the projector wall and live updates (aiohttp).

Routes (``{token}`` is the session's secret join token, ``{wall}`` the wall's own token;
nothing else is reachable):

=========================================  ====================================================
``GET  /j/{token}?code=...&table=...``     join page on the first visit (a join code needed),
                                           then the current round
``GET  /j/{token}/me``                     change language, group, name, table
``POST /j/{token}/join``                   say who you are (all optional; a new device
                                           sends the join code of its link)
``POST /j/{token}/send``                   a contribution to the current round
``POST /j/{token}/edit/{id}``              edit your own, while the round is open
``POST /j/{token}/withdraw/{id}``          withdraw your own (hidden, never deleted)
``POST /j/{token}/vote``                   your whole ballot: ``v<id>=<dots or score>``
``GET  /j/{token}/events``                 server-sent events: round changes and the timer
                                           (a joined device's page only)
``GET  /wall/{wall}``                      the projector wall (``?lang=en``)
``GET  /wall/{wall}/events``               server-sent events for the wall
``GET  /wall/{wall}/qr.svg``, ``qr.png``   the join QR code, with the room's current code
``GET  /static/...``, ``/healthz``         the page's own CSS and script; a health check
=========================================  ====================================================

A device is a random cookie only the phone holds; the session stores it as an HMAC of that
cookie under the session's secret, and every form carries a token only the server can derive.
A device must join before it may send, edit, withdraw or vote (joining may stay anonymous), and
joins with a code only the room has (``facilitator.core.joining``; ``docs/security.md``).

Every POST answers ``303`` back to the page (plain forms) or JSON ``{"ok", "message"}`` when the
request accepts ``application/json`` (the page's script); refusals carry a status and a sentence
in the participant's language (see :mod:`facilitator.web.sentences`).

The server holds to what the laptop carries (:mod:`facilitator.web.capacity`: the open-files
limit, raised) and counts every connection at the door (:mod:`facilitator.web.connections`).
"""
