from django.urls import path

from . import clarification_consumer, consumers, evaluation_consumer, opening_consumer, stats_consumer

websocket_urlpatterns = [
    path("ws/ledger/", consumers.LedgerConsumer.as_asgi()),
    path("ws/opening/<int:tender_id>/", opening_consumer.OpeningHallConsumer.as_asgi()),
    path("ws/evaluation/<int:session_id>/", evaluation_consumer.EvaluationSessionConsumer.as_asgi()),
    path("ws/clarifications/", clarification_consumer.ClarificationConsumer.as_asgi()),
    path("ws/statistics/", stats_consumer.StatsConsumer.as_asgi()),
]
