"""Regulators as witnesses: co-signing tree heads checked as consistent with the last one they co-signed.

The regulator's browser (static/js/witness.js) fetches the consistency proof from the last head it
co-signed to the latest, verifies it (RFC 9162 §2.1.4.2, WebCrypto SHA-256), and only then posts its
cosignature; the server checks the same proof again against the heads it stored. A head that is not
an extension of one the regulator co-signed is refused and shown as a warning: the log was rolled back
or forked. Each cosignature is itself an entry of the trading log (`ledger.head_cosigned`).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, NotFound
from accounts.models import Role
from accounts.permissions import check, role_scopes

from . import chain, policies_witness, sth, tree  # noqa: F401 - policies_witness registers ledger.witness
from .models import Cosignature, TreeHead


class WitnessError(DomainError):
    http_status = 409


def last_cosigned(user):
    """The largest head `user` co-signed, or None."""
    row = (Cosignature.objects.filter(witness=user).select_related("head").order_by("-head__tree_size").first())
    return row.head if row else None


def head_consistent(earlier, later) -> bool:
    """Do the stored tiles prove `later` an extension of `earlier` (both stored heads)?"""
    if earlier.tree_size > later.tree_size:
        return False
    if earlier.tree_size == later.tree_size:
        return earlier.root_hash == later.root_hash
    try:
        return tree.consistent(earlier.tree_size, earlier.root_hash, later.tree_size, later.root_hash)
    except tree.TreeError:  # the tiles do not even reach the later head
        return False


@dataclass
class WitnessStatus:
    latest: TreeHead | None
    last: TreeHead | None  # the user's last cosigned head
    consistent: bool  # latest extends last (True when either is missing)
    cosigned_latest: bool
    witnesses: int  # how many regulators co-signed the latest head


def status(user) -> WitnessStatus:
    latest, last = sth.latest(), last_cosigned(user)
    consistent = latest is None or last is None or head_consistent(last, latest)
    witnesses = latest.cosignatures.count() if latest else 0
    return WitnessStatus(latest, last, consistent, last is not None and latest is not None and last.pk == latest.pk,
                         witnesses)


def _region_of(user):
    for role, region in role_scopes(user):
        if role == Role.REGULATOR:
            return region
    return None


def cosign_head(*, actor, tree_size, root_hash):
    """`actor` co-signs the stored head of `tree_size`, whose root their browser checked as `root_hash`.
    Returns the Cosignature (the same one again if they had co-signed this head already)."""
    check(actor, "ledger.witness")
    head = TreeHead.objects.filter(tree_size=tree_size).first()
    if head is None:
        raise NotFound(_("No signed tree head of %(size)s entries was published.") % {"size": tree_size},
                       code="no_such_head")
    if head.root_hash != root_hash:
        # The browser was shown another root for this size than the one stored: a split view.
        raise WitnessError("head_mismatch", _("The tree head of %(size)s entries you checked has another root "
                                              "than the one the platform stored.") % {"size": tree_size})
    last = last_cosigned(actor)
    if last is not None and last.pk == head.pk:
        return Cosignature.objects.get(head=head, witness=actor)
    if last is not None and last.tree_size > head.tree_size:
        raise WitnessError("older_head", _("You already co-signed a larger tree head (%(size)s entries).")
                           % {"size": last.tree_size})
    if last is not None and not head_consistent(last, head):
        raise WitnessError("inconsistent_head", _(
            "The tree head of %(size)s entries is not an extension of the head of %(last)s entries you co-signed: "
            "the log was rolled back or forked.") % {"size": head.tree_size, "last": last.tree_size})
    try:
        with transaction.atomic():
            cosignature = Cosignature.objects.create(head=head, witness=actor, checked_from=last,
                                                     created_at=timezone.now())
            chain.append("ledger.head_cosigned", actor=actor, role=Role.REGULATOR, region=_region_of(actor), payload={
                "tree_size": head.tree_size, "root_hash": head.root_hash, "timestamp": head.timestamp,
                "checked_from": None if last is None else {"tree_size": last.tree_size, "root_hash": last.root_hash},
            })
    except IntegrityError:  # the same regulator's two tabs at once: the other one co-signed it
        return Cosignature.objects.get(head=head, witness=actor)
    return cosignature
