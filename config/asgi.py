import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.limits import ConcurrencyLimit  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402
from trading.part_stream import route  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bid parts go from the socket to the bid file without Django's spooled copy (docs/bid-upload.md).
        # At most ASGI_MAX_CONCURRENT_REQUESTS at once per process: each holds a database connection.
        "http": ConcurrencyLimit(route(django_asgi_app), settings.ASGI_MAX_CONCURRENT_REQUESTS),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.TASK_WORKER_IN_PROCESS and os.environ.get("RUN_TASK_WORKER") == "1":
    from realtime.worker import start_in_process_worker

    start_in_process_worker()
