from django.apps import AppConfig
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def ledger_anchors():
    """Each record's log head (printed in its PDF) and the entry that logged it, for verify_ledger:
    a log rolled back behind a signed record is caught by the record (docs/architecture.md §6)."""
    from .models import Record

    rows = Record.objects.order_by("pk").values_list("pk", "title", "anchor_seq", "anchor_hash", "ledger_seq")
    for pk, title, anchor_seq, anchor_hash, ledger_seq in rows.iterator(chunk_size=2000):
        label = gettext("signed record %(id)s “%(title)s”") % {"id": pk, "title": title}
        yield label, anchor_seq, anchor_hash
        if ledger_seq is not None:
            yield label, ledger_seq, None


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Signed records")

    def ready(self):
        from ledger.anchors import register_anchor_source

        from . import checks, policies  # noqa: F401
        from .tree_heads import register_tree_head_signer

        register_anchor_source("records", ledger_anchors)
        register_tree_head_signer()  # the platform seal signs the trading log's tree heads
