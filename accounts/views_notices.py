"""The user's own notices (issue 14): a list, newest first, and marking one read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import notices
from .errors import NotFound


@login_required
def notice_list(request):
    page = Paginator(notices.notices_of(request.user), notices.LIST_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notices.html", {"page": page, "unread": notices.unread_count(request.user)})


@login_required
@require_POST
def mark_read(request, pk):
    """Marks the notice read; with `open`, goes on to the page it links to."""
    try:
        notice = notices.mark_read(actor=request.user, notice_id=pk)
    except NotFound:
        raise Http404 from None
    if request.POST.get("open") and notice.url and url_has_allowed_host_and_scheme(
            notice.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(notice.url)
    return redirect("notices:list")
