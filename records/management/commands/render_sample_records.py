import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand

from ledger import chain
from records import pki, signing
from records.render import LedgerAnchor, render
from records.render.samples import sample_bid_receipt, sample_evaluation_report, sample_opening_record

# Samples are signed by a throwaway CA made for the run, never by the platform's keys: the real
# seal must not sign made-up content, and the watermark keeps a sample from passing for a record.
SAMPLE_CA = "巴中市公共资源交易平台 样例CA（非正式）"
SAMPLE_SEAL = "巴中市公共资源交易平台 电子签章（样例）"
WATERMARK = "样例 仅供版式审阅"
SAMPLE_KEY_BITS = 2048


class Command(BaseCommand):
    help = ("Write a signed sample of every record kind built so far into DIR, with made-up data, signed by a "
            "throwaway sample CA written next to them as sample-ca.pem (verify with --ca).")

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, **options):
        out = Path(options["directory"])
        out.mkdir(parents=True, exist_ok=True)
        ca = pki.generate_ca(SAMPLE_CA, key_bits=SAMPLE_KEY_BITS, years=1)
        seal = pki.issue_certificate(ca, SAMPLE_SEAL, key_bits=SAMPLE_KEY_BITS, years=1)
        (out / "sample-ca.pem").write_bytes(pki.cert_pem(ca.certificate))
        anchor = LedgerAnchor(*chain.head())
        report = sample_evaluation_report()
        opening = sample_opening_record()
        samples = [
            ("bid_receipt", sample_bid_receipt(), []),
            ("evaluation_report", report, [e.name for e in report.experts]),
            ("opening_record", opening, [opening.host_name]),
        ]
        for kind, data, signer_names in samples:
            rendered = render(kind, data, anchor=anchor, watermark=WATERMARK)
            signers_ = [pki.issue_certificate(ca, name, key_bits=SAMPLE_KEY_BITS, years=1) for name in signer_names]
            pdf = signing.sign_record(rendered.pdf, signing.plan(rendered, signers_, seal))
            path = out / f"{kind}.pdf"
            path.write_bytes(pdf)
            self.stdout.write(f"{path}  {rendered.pages} pages  {len(signers_) + len(rendered.seal_slots)} signatures  "
                              f"SHA-256 {hashlib.sha256(pdf).hexdigest()}")
        self.stdout.write(f"{out / 'sample-ca.pem'}  the sample CA (verify_record FILE --ca {out / 'sample-ca.pem'})")
