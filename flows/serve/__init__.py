"""``commission serve``: the one always-on process.

It holds three parts, each of which can be turned off but the first:

- a Prefect API for this project's own flows, a child process listening on 127.0.0.1 only
  (``prefect_api.py``), guarded to die with serve;
- the reminder scheduler (flows/reminders/scheduler.py), whose flows run on that API;
- the web app, served by uvicorn in this process (``web_server.py``).

``process.py`` starts and stops them in order. ``discovery.py`` is how a CLI command on the same machine finds
serve's Prefect API (a small file in the data dir) and so skips starting a temporary server of its own.
"""
