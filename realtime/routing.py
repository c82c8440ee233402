from django.urls import path

from . import consumers, opening_consumer

websocket_urlpatterns = [
    path("ws/ledger/", consumers.LedgerConsumer.as_asgi()),
    path("ws/opening/<int:tender_id>/", opening_consumer.OpeningHallConsumer.as_asgi()),
]
