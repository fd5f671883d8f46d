"""Entry point for `gunicorn app:app` and `flask --app app ...`."""

import gc

from meetup import create_app

app = create_app()

# What the app has loaded lives as long as the process: keep it out of the collector's full
# passes. Each pass walked it all (about 100 ms in a gunicorn worker, a stall for every
# request waiting on that worker); frozen, a pass takes about 2 ms. Garbage first, so none
# of it is kept for good.
gc.collect()
gc.freeze()
