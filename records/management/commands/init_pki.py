from django.core.management.base import BaseCommand, CommandError

from accounts.errors import DomainError
from records import pki


class Command(BaseCommand):
    help = ("Create the platform root CA and the platform seal certificate in PKI_DIR, keys encrypted under "
            "PKI_PASSPHRASE. Idempotent: a later run keeps the existing PKI.")

    def handle(self, *args, **options):
        try:
            result = pki.init_pki()
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Created the platform PKI in {result.directory}."))
        else:
            self.stdout.write(f"The platform PKI already exists in {result.directory}; keeping it.")
        # Fingerprints only: private keys never leave PKI_DIR, encrypted.
        self.stdout.write(f"root CA  SHA-256 {result.ca_fingerprint}")
        self.stdout.write(f"seal     SHA-256 {result.seal_fingerprint}")
