from django.conf import settings
from django.db import models


class Stream(models.Model):
    """An ordered stream of events (one per opening hall or evaluation session): `last_seq` is locked
    to number each event, so every client sees one order across all ASGI processes (docs/architecture.md §8)."""

    name = models.CharField(max_length=80, unique=True)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} #{self.last_seq}"


class StreamEvent(models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=60)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="unique_stream_seq")]

    def __str__(self):
        return f"{self.stream.name} #{self.seq} {self.type}"


class ClientMessage(models.Model):
    """A client message already answered: a repeated id gets the same answer and is never applied twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=80)
    message_id = models.CharField(max_length=64)
    reply = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "stream", "message_id"], name="unique_client_message")]

    def __str__(self):
        return f"{self.stream} {self.message_id}"
