import io
import os
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db import connections

from ledger import backup


class Command(BaseCommand):
    help = ("Restore a backup made by `backup DIR` into the configured database, storage and PKI directory. "
            "Every file is checked against the manifest first: a damaged backup changes nothing. A platform "
            "that already holds data is refused unless --force. Ends with verify_ledger.")

    def add_arguments(self, parser):
        parser.add_argument("dir", help="the backup directory (with its manifest.json)")
        parser.add_argument("--force", action="store_true",
                            help="restore over a database or directories that are not empty (replaces them)")
        parser.add_argument("--manifest-sha256", metavar="HEX",
                            help="refuse unless manifest.json has this SHA-256 (printed by backup)")

    @no_translations
    def handle(self, *args, **options):
        source = Path(options["dir"]).resolve()
        try:
            self._restore(source, options["force"], options["manifest_sha256"])
        except backup.BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from None

    def _restore(self, source, force, manifest_sha256=None):
        say = self.stdout.write
        manifest = backup.Manifest.read(source)
        if manifest_sha256 and backup.Manifest.digest(source) != manifest_sha256.strip().lower():
            raise backup.BackupError(f"{backup.MANIFEST} does not have the SHA-256 {manifest_sha256}")
        data = manifest.data
        head = data["ledger"]
        say(f"backup of {data['created_at']}, database {data['database']['vendor']}, "
            f"ledger head entry {head['seq']} {head['hash']}")
        if data["database"]["vendor"] != backup.vendor():
            raise backup.BackupError(f"the backup holds a {data['database']['vendor']} database, this platform "
                                     f"runs on {backup.vendor()}")
        areas = backup.areas()
        say(f"checking {len(data['files'])} files against the manifest…")
        listed = manifest.check(source, say)
        unknown = {name.split("/", 1)[0] for name in listed} - {data["database"]["file"], *areas}
        if unknown:
            raise backup.BackupError(f"the manifest lists files outside the known areas: {sorted(unknown)}")
        say("every file matches its SHA-256")
        occupied = [f"the database ({backup.vendor()})"] if not backup.database_is_empty() else []
        occupied += [f"{area} ({root})" for area, root in areas.items() if backup.has_files(root)]
        if occupied and not force:
            raise backup.BackupError("the target is not empty: " + ", ".join(occupied) + ". Restore into an empty "
                                     "platform, or pass --force to replace what is there")
        if occupied:
            say("--force: replacing " + ", ".join(occupied))

        say("restoring the database…")
        backup.restore_database(source / data["database"]["file"])
        say("database restored")
        self._restore_files(source, listed, areas)
        say("PKI passphrase: not in the backup; this platform uses its configured PKI_PASSPHRASE.")
        self._verify(head)

    def _restore_files(self, source, listed, areas):
        """Each file is copied beside its place, hashed while copied, and renamed into place only when it
        matches: a disk that fails midway leaves no half-written file under a real name. Files the target
        holds that are not in the backup are left in place (nothing in the restored database names them)."""
        for area, root in areas.items():
            items = [item for name, item in listed.items() if name.split("/", 1)[0] == area]
            say = self.stdout.write
            say(f"{area}: restoring {len(items)} files into {root}…")
            for item in items:
                relative = backup.safe_relative(item["path"]).relative_to(area)
                target = root.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".restoring")
                with open(source / item["path"], "rb") as stream:
                    size, digest = backup.copy_hashed(stream, partial)
                if (size, digest) != (item["size"], item["sha256"]):
                    partial.unlink()
                    raise backup.BackupError(f"{item['path']} changed while it was restored")
                if "mode" in item:
                    os.chmod(partial, item["mode"] & 0o777)
                os.replace(partial, target)
            say(f"{area}: done")

    def _verify(self, head):
        from ledger import tree
        from ledger.models import Entry

        say = self.stdout.write
        connections.close_all()
        say("verify_ledger…")
        out = io.StringIO()
        try:
            call_command("verify_ledger", stdout=out, stderr=io.StringIO())
        except SystemExit:
            raise CommandError("restored, but verify_ledger fails: " + out.getvalue().strip()) from None
        for line in out.getvalue().splitlines():
            say(f"  {line}")
        # The dump was taken after the head was read: it holds that entry, perhaps later ones too.
        if head["seq"] and not Entry.objects.filter(seq=head["seq"], hash=head["hash"]).exists():
            raise CommandError(f"restored, but entry {head['seq']} is not the head the backup recorded")
        if head["tree_size"] and tree.root(head["tree_size"]).hex() != head["root"]:
            raise CommandError(f"restored, but the tree of {head['tree_size']} entries has another root")
        now = backup.ledger_head()
        say(f"restored ledger head: entry {now['seq']} {now['hash']}, tree size {now['tree_size']} "
            f"root {now['root']}")
        say("restore complete")
