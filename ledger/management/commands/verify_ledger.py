import sys

from django.core.management.base import BaseCommand, no_translations

from accounts.errors import DomainError
from ledger import sth, tree
from ledger.chain import verify
from ledger.models import TreeHead


class Command(BaseCommand):
    help = ("Walk the trading log's hash chain, then check the log head every signed record carries, then "
            "recompute the Merkle tree and check every published signed tree head; report the first entry "
            "that does not match.")

    @no_translations  # the output is a stable English line that scripts read (README)
    def handle(self, *args, **options):
        # One read of the log: the chain, then (with the same bytes) the Merkle tree and the signed heads.
        walk = tree.Walk(TreeHead.objects.order_by("tree_size").iterator(chunk_size=2000), sth.signature_valid)
        try:
            result = verify(progress=lambda n: self.stderr.write(f"verified {n} entries…"), walk=walk)
            checked = walk.finish() if result.ok else None
        except DomainError as exc:  # no seal to check the heads' signatures with
            self.stdout.write(f"tree heads not checked: {exc.message}")
            sys.exit(1)
        finally:
            walk.close()
        if not result.ok:
            self.stdout.write(f"ledger broken at entry {result.bad_seq}: {result.reason}")
            sys.exit(1)
        if not checked.ok:
            self.stdout.write(f"ledger broken at entry {checked.bad_seq}: {checked.reason}")
            sys.exit(1)
        self.stdout.write(f"ledger ok: {result.count} entries, head {result.head_hash}")
        if result.pending:
            # Committed during the walk, or behind a number an open transaction still holds.
            self.stdout.write(f"not yet integrated: {result.pending} entries")
        if checked.heads:
            # Only when heads were published: with none, the line above is all there is to say (README).
            self.stdout.write(f"tree ok: {checked.heads} signed tree heads match, root {checked.root_hash}")
