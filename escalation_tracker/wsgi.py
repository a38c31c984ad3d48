import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_tracker.settings")
application = get_wsgi_application()

# Load the URL map, and with it every view, now; then move all that is loaded out of the garbage
# collector's reach (``gc.freeze``): a full collection then walks only what requests create, not the
# whole of Django, and a request that triggers one is not held up for tens of milliseconds
# (docs/performance.md, "Garbage collection").
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
