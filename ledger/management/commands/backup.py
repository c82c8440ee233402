from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from ledger import backup


class Command(BaseCommand):
    help = ("Back the platform up into DIR (new or empty): the database, the stored files (bid store, uploads "
            "still arriving, decrypted documents, signed records) and the PKI directory, with a manifest of every "
            "file's size and SHA-256 and the trading log's head. The PKI passphrase is not written into it.")

    def add_arguments(self, parser):
        parser.add_argument("dir", help="the backup directory (created; must be empty if it exists)")

    @no_translations  # stable English lines, like verify_ledger's, for the operator's logs
    def handle(self, *args, **options):
        target = Path(options["dir"]).resolve()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CommandError(f"{target} is not an empty directory: a backup goes into a new one")
        try:
            self._backup(target)
        except backup.BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from None

    def _backup(self, target):
        say = self.stdout.write
        vendor = backup.vendor()
        areas = backup.areas()
        target.mkdir(parents=True, exist_ok=True)
        # The head first, the dump after: the dump then holds this head (and perhaps later entries), which
        # restore checks. Files after the dump: a file the database names was stored before it was named.
        head = backup.ledger_head()
        say(f"ledger head: entry {head['seq']} {head['hash']}, tree size {head['tree_size']} root {head['root']}")
        manifest = backup.Manifest.new(vendor, head)
        db_file = backup.DUMP_NAMES[vendor]
        say(f"database ({vendor}) → {db_file}…")
        backup.dump_database(target / db_file)
        size, digest = backup.file_hash(target / db_file)
        manifest.add(db_file, size, digest)
        say(f"database: {size} bytes, SHA-256 {digest}")
        for area, root in areas.items():
            if not root.is_dir():
                say(f"{area}: {root} does not exist, nothing to copy")
                continue
            say(f"{area}: copying {root}…")
            count = total = 0
            for path in backup.walk(root, skip=[target]):
                name = f"{area}/{path.relative_to(root).as_posix()}"
                out = target / name
                out.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with open(path, "rb") as source:
                        size, digest = backup.copy_hashed(source, out)
                    mode = path.stat().st_mode & 0o777
                except FileNotFoundError:  # deleted since the walk saw it (an abandoned upload)
                    out.unlink(missing_ok=True)
                    say(f"{area}: {name} was deleted while the backup ran, left out")
                    continue
                out.chmod(mode)
                manifest.add(name, size, digest, mode)
                count, total = count + 1, total + size
                if count % 500 == 0:
                    say(f"{area}: {count} files, {total} bytes so far…")
            say(f"{area}: {count} files, {total} bytes")
        manifest.write(target)
        say(f"manifest: {backup.MANIFEST} lists {len(manifest.data['files'])} files, "
            f"SHA-256 {backup.Manifest.digest(target)} (keep it with the backup's record: "
            "restore --manifest-sha256 checks it)")
        say("NOT in this backup: " + "; ".join(backup.NOT_INCLUDED))
        say("The PKI passphrase is not in the backup: keep it separately, a restore needs it to use the keys.")
        say(f"backup complete: {target}")
