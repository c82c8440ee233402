"""The help centre (办事指南): public pages for bidders, key custodians and experts, and the trading
centers' contacts per region (kept by each region's staff on the same page)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from .contacts import CONTACT_FIELDS, set_region_contacts
from .errors import Forbidden, NotFound
from .models import Region
from .permissions import can

TOPICS = {
    "bidders": gettext_lazy("For bidders"),
    "custodians": gettext_lazy("For key custodians"),
    "experts": gettext_lazy("For evaluation experts"),
}


class ContactsForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = CONTACT_FIELDS


@require_safe
def index(request):
    return render(request, "help/index.html", {"topics": TOPICS})


@require_safe
def topic(request, topic):
    if topic not in TOPICS:
        raise Http404
    return render(request, f"help/{topic}.html", {"topics": TOPICS, "title": TOPICS[topic]})


@require_http_methods(["GET", "HEAD", "POST"])
def contacts(request):
    regions = list(Region.objects.select_related("parent"))
    if request.method == "POST":
        region = next((r for r in regions if r.code == request.POST.get("region")), None)
        if region is None or not can(request.user, "region.edit_contacts", region):
            raise PermissionDenied
        form = ContactsForm(request.POST, instance=region)
        if form.is_valid():
            try:
                set_region_contacts(actor=request.user, region_code=region.code, **form.cleaned_data)
            except (Forbidden, NotFound):
                raise PermissionDenied from None
            messages.success(request, _("Saved."))
            return redirect("help:contacts")
        messages.error(request, _("Check the contact details: %(errors)s") % {"errors": form.errors.as_text()})
    rows = [(r, ContactsForm(instance=r, auto_id=f"id_{r.code}_%s") if can(request.user, "region.edit_contacts", r) else None)
            for r in regions]
    return render(request, "help/contacts.html", {"topics": TOPICS, "rows": rows})
