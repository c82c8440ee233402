"""Priority: green-channel tenders first in the staff's queues, with the reason shown (issue 12).
Priority orders the platform's own work; it changes no date of the tender."""

from django.db.models import Exists, OuterRef

from ..models_green import GreenChannelRequest


def approved_green():
    """An Exists() true for tenders whose project is on an approved green channel."""
    return Exists(GreenChannelRequest.objects.filter(project_id=OuterRef("project_id"),
                                                     status=GreenChannelRequest.Status.APPROVED))


def prioritize(tenders, *then):
    """`tenders` with a `green` annotation, green-channel ones first, then by `then` (default: submission)."""
    return tenders.annotate(green=approved_green()).order_by("-green", *(then or ("submitted_at", "id")))


def live_requests():
    return GreenChannelRequest.objects.filter(status=GreenChannelRequest.Status.APPROVED)


def officer_requests(user):
    """The approved green-channel projects of which `user` is the officer or the deputy."""
    from django.db.models import Q

    return (live_requests().filter(Q(officer=user) | Q(deputy=user))
            .select_related("project__region", "project__owner", "officer", "deputy"))
