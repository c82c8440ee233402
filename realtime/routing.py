from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/ledger/", consumers.LedgerConsumer.as_asgi()),
]
