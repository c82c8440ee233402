"""The officer hears of every stage event of their green-channel projects (issue 12: "notification of
every stage event"): when a stage entry lands in the trading log for a tender of an approved project,
its dedicated officer and deputy get a text message after the commit (accounts.sms, pluggable backend).

Wired to the log's Entry post_save in trading.apps, so no action has to remember it; the board keeps
reading the same events from the log.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.sms import send_sms

from .milestones import STAGE_ACTIONS

LABELS = {
    "tender.submitted": gettext_lazy("submitted for review"),
    "tender.returned": gettext_lazy("returned for changes"),
    "tender.published": gettext_lazy("published"),
    "tender.amended": gettext_lazy("amended"),
    "tender.documents_open": gettext_lazy("tender documents on sale"),
    "tender.documents_closed": gettext_lazy("tender documents no longer on sale"),
    "tender.bids_closed": gettext_lazy("bids closed"),
    "tender.failed": gettext_lazy("failed"),
    "opening.started": gettext_lazy("opening started"),
    "opening.closed": gettext_lazy("opening closed"),
    "draw.requested": gettext_lazy("expert draw requested"),
    "draw.complete": gettext_lazy("expert draw complete"),
    "evaluation.session_opened": gettext_lazy("evaluation session opened"),
    "evaluation.stage": gettext_lazy("evaluation moved to its next stage"),
    "evaluation.closed": gettext_lazy("evaluation closed"),
}


def entry_saved(sender, instance, created, **kwargs):
    """post_save of ledger.Entry: a stage event of a green-channel tender texts its officers on commit."""
    if not created or instance.action not in STAGE_ACTIONS or not instance.tender_ref:
        return
    from ..models_green import GreenChannelRequest

    request = (GreenChannelRequest.objects.filter(
        project__tenders__code=instance.tender_ref, status=GreenChannelRequest.Status.APPROVED)
        .select_related("officer", "deputy", "project").first())
    if request is None:
        return
    phones = [u.phone for u in (request.officer, request.deputy) if u is not None and u.phone]
    if not phones:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Bazhong public resource trading platform: green-channel project %(project)s, tender "
                 "%(tender)s: %(event)s at %(time)s. Details: %(link)s") % {
            "project": request.project.name, "tender": instance.tender_ref,
            "event": LABELS.get(instance.action, instance.action),
            "time": timezone.localtime(instance.created_at).strftime("%m-%d %H:%M"),
            "link": settings.SITE_URL + reverse("trading:green_detail", kwargs={"pk": request.pk})}
    for phone in phones:
        transaction.on_commit(lambda phone=phone: send_sms(phone, text))
