from pathlib import Path

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError

from records.verify import NotAPdf, describe, summary, verify_pdf


class Command(BaseCommand):
    help = ("Check every signature of a PDF record against the platform CA. Exits non-zero when a signature "
            "is broken or untrusted, or when there is none.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="the PDF to check")
        parser.add_argument("--ca", action="append", default=[], metavar="PEM",
                            help="also trust this root certificate (e.g. sample-ca.pem of render_sample_records)")

    def handle(self, *args, **options):
        try:
            data = Path(options["file"]).read_bytes()
            roots = [x509.load_pem_x509_certificate(Path(p).read_bytes()) for p in options["ca"]]
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        try:
            report = verify_pdf(data, extra_roots=roots)
        except NotAPdf as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"{options['file']}  SHA-256 {report.sha256}  {report.size} bytes")
        for number, check in enumerate(report.signatures, start=1):
            d = describe(check)
            self.stdout.write(f"[{number}] {d['field']}  {d['signer']}  {d['time']}")
            self.stdout.write(f"    {d['intact']} · {d['scope']} · {d['trust']} → {d['verdict']}")
            if d["problem"]:
                self.stdout.write(f"    {d['problem']}")
        if not report.ok:
            raise CommandError(str(summary(report)), returncode=1)
        self.stdout.write(self.style.SUCCESS(str(summary(report))))
