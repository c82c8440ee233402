"""`manage.py export_ocds FILE [--since D] [--until D] [--validate]`: every OCDS release as one JSON Lines
file (the same bytes as GET /api/ocds/releases.jsonl), written to FILE.tmp and renamed when complete, with
a line per step on the console (docs/ocds.md §1). `-` writes to standard output."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import DomainError
from trading.ocds import packages, validate


class Command(BaseCommand):
    help = "Write every OCDS 1.1.5 release as JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to write, or - for standard output.")
        parser.add_argument("--since", help="Releases dated from this ISO date or date and time.")
        parser.add_argument("--until", help="Releases dated up to this ISO date (inclusive) or date and time.")
        parser.add_argument("--validate", action="store_true", help="Check every release against the schema.")

    def handle(self, path, since=None, until=None, **options):
        check = options["validate"]
        try:
            since, until = packages.window({"since": since, "until": until})
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        to_stdout = path == "-"
        out = sys.stdout.buffer if to_stdout else open(f"{path}.tmp", "wb")  # noqa: SIM115
        log = self.stderr if to_stdout else self.stdout
        total = step = 0
        try:
            for step, (count, data) in enumerate(packages.jsonl_steps(since, until), 1):
                if check:
                    self._validate(data)
                out.write(data)
                total += count
                log.write(f"step {step}: {count} releases ({total} in all)")
        except BaseException:
            if not to_stdout:
                out.close()
                os.unlink(f"{path}.tmp")  # never leave half a file behind
            raise
        if not to_stdout:
            out.close()
            os.replace(f"{path}.tmp", path)
        log.write(f"{total} releases in {step} steps written to {path}")

    def _validate(self, data):
        import json

        for line in data.decode().splitlines():
            release = json.loads(line)
            errors = validate.release_errors(release)
            if errors:
                raise CommandError(f"release {release.get('id')} is not valid OCDS 1.1.5: {errors[0]}")
