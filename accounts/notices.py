"""Notices (issue 14): an event that concerns a user reaches them as a row in their workspace and at
/notices/, and as a text message through the SMS backend (accounts/sms.py).

The notice is written in the caller's transaction and the text is sent once it commits, so an action that
rolls back leaves no notice and texts nobody. Texts are in the platform's language (settings.LANGUAGE_CODE),
whatever the language of the request that caused them: they are read by someone else, later.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import NotFound
from .models import Notice
from .sms import send_sms

TEXT_MAX = 500
LIST_SIZE = 50


def notify(user, kind, text, url="", *, params=None, sms=True):
    """Notify `user` (None or inactive: nobody) of an event of `kind` (Notice.Kind): `text` is a message
    (gettext_lazy) formatted with `params`, `url` a path on the platform. `sms=False` when the caller
    already texts the user in its own words (the draw's one-time code). Returns the Notice or None."""
    if user is None or not user.is_active:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        message = (str(text) % params if params else str(text))[:TEXT_MAX]
        sms_text = _("Bazhong public resource trading platform: %(text)s %(link)s") % {
            "text": message, "link": settings.SITE_URL + url if url else ""}
    notice = Notice.objects.create(user=user, kind=kind, text=message, url=url, created_at=timezone.now())
    phone = user.phone
    if sms and phone:
        # robust: a failing gateway is logged and does not turn the committed action into an error.
        transaction.on_commit(lambda: send_sms(phone, sms_text.strip()), robust=True)
    return notice


def notify_all(users, kind, text, url="", *, params=None, sms=True):
    return [n for n in (notify(u, kind, text, url, params=params, sms=sms) for u in users) if n is not None]


def members_with_role(organization_id, role):
    """The active users of an organization who hold `role` (the bidder's people for a bidder's notice)."""
    from .models import User

    if organization_id is None:
        return []
    return list(User.objects.filter(organization_id=organization_id, is_active=True, roles__role=role)
                .distinct().order_by("pk"))


def notices_of(user):
    """The user's own notices, newest first."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user):
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def access_notice(user, notice_id, *, for_update=False):
    """The user's own notice; anyone else's is 404, as if it did not exist."""
    qs = Notice.objects.select_for_update() if for_update else Notice.objects
    notice = qs.filter(pk=notice_id, user=user).first() if user.is_authenticated else None
    if notice is None:
        raise NotFound()
    return notice


def mark_read(*, actor, notice_id):
    """Mark one of the actor's notices read (again: no change). Returns it."""
    with transaction.atomic():
        notice = access_notice(actor, notice_id, for_update=True)
        if notice.read_at is None:
            notice.read_at = timezone.now()
            notice.save(update_fields=["read_at"])
    return notice


def mark_all_read(*, actor):
    """Mark every unread notice of the actor read. Returns how many."""
    return Notice.objects.filter(user=actor, read_at__isnull=True).update(read_at=timezone.now())
