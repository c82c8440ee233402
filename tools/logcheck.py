#!/usr/bin/env python3
"""Check the Bazhong trading log from outside: signed tree heads, inclusion and consistency proofs.

Stand-alone: Python 3.11+, the standard library and `cryptography` (for the seal's signature). The format
is in docs/trading-log.md; the seal certificate is the "seal" PEM of GET /api/pki/certificates/.

    logcheck.py sth HEAD.json --seal seal.pem [--ca ca.pem]
    logcheck.py inclusion HEAD.json PROOF.json (--entry ENTRY.json | --leaf-hash HEX) --seal seal.pem
    logcheck.py consistency OLD.json NEW.json PROOF.json --seal seal.pem
    logcheck.py export EXPORT.json|EXPORT.csv --seal seal.pem   (--cert is the same as --seal)

HEAD.json is a head as served by /ledger/sth/ (keep the ones you saw); PROOF.json as served by
/ledger/proof/inclusion?seq=…&size=… or /ledger/proof/consistency?from=…&to=…; ENTRY.json is the entry's
document. `--server URL` fetches PROOF.json instead (then omit it). `--skip-signature` checks the
proof alone. Exit status: 0 verified, 1 verification failed (a rewritten entry, a rollback or a fork),
2 unusable input.
"""

import argparse
import base64
import binascii
import csv
import hashlib
import json
import sys
import urllib.parse
import urllib.request

FORMAT = "bz-tree-head/1"
EXPORT_FORMAT = "bz-log-export/1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # cells the platform's CSV prefixes with ' (ledger/csvsafe.py)


class Failed(Exception):
    """The check ran and the log did not pass it."""


class Unusable(Exception):
    """The input is not what the tool reads."""


def canonical(value) -> bytes:
    """The platform's canonical JSON: keys sorted, no white space, UTF-8, integers only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def root_from_inclusion(leaf: bytes, index: int, size: int, path: list) -> bytes:
    """RFC 9162 §2.1.3.2, steps 1–5: the root the path leads to (Failed if it cannot)."""
    if index >= size:
        raise Failed(f"leaf index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise Failed("the audit path is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = hash_children(sibling, r)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            r = hash_children(r, sibling)
        fn //= 2
        sn //= 2
    if sn != 0:
        raise Failed("the audit path is shorter than the tree is deep")
    return r


def roots_from_consistency(first: int, second: int, first_root: bytes, path: list) -> tuple:
    """RFC 9162 §2.1.4.2, steps 1–6: the (first, second) roots the proof leads to (Failed if it cannot)."""
    if first == second:
        if path:
            raise Failed("a proof between equal sizes must be empty")
        return first_root, first_root
    if not 0 < first < second:
        raise Failed(f"tree size {first} cannot grow into tree size {second}")
    if not path:
        raise Failed("the consistency proof is empty")
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failed("the consistency proof is longer than the trees are deep")
        if fn % 2 == 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            sr = hash_children(sr, c)
        fn //= 2
        sn //= 2
    if sn != 0:
        raise Failed("the consistency proof is shorter than the trees are deep")
    return fr, sr


# --- Input -----------------------------------------------------------------------------------------

def load_json(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise Unusable(f"{path}: {exc}") from None


def hex_hash(value, what) -> bytes:
    try:
        digest = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise Unusable(f"{what} is not 64 hex digits")
    return digest


def whole(value, what) -> int:
    if type(value) is not int or value < 0:
        raise Unusable(f"{what} is not a whole number")
    return value


def read_head(head):
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise Unusable(f"not a signed tree head of format {FORMAT}")
    return whole(head.get("tree_size"), "tree_size"), hex_hash(head.get("root_hash"), "root_hash")


def check_signature(head, seal_pem, ca_pem=None, what="head"):
    """The head's (or any signed document's) signature by the seal certificate (and the certificate's by
    the CA, if given)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    try:
        seal = x509.load_pem_x509_certificate(seal_pem)
    except ValueError:
        raise Unusable("the seal certificate is not a PEM certificate") from None
    if seal.fingerprint(SHA256()).hex() != head.get("seal_sha256"):
        raise Failed(f"the {what} names another seal certificate (seal_sha256) than the one given")
    if ca_pem is not None:
        try:
            seal.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
        except (ValueError, TypeError, InvalidSignature):
            raise Failed("the seal certificate was not issued by the given CA") from None
    signed = {k: v for k, v in head.items() if k != "signature"}
    try:
        signature = base64.b64decode(head.get("signature", ""), validate=True)
        seal.public_key().verify(signature, canonical(signed), PKCS1v15(), SHA256())
    except (binascii.Error, ValueError, TypeError, InvalidSignature):
        raise Failed(f"the {what}'s signature is not the seal's signature of its fields") from None


def fetch(server, path, params):
    url = f"{server.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
    if not url.startswith(("https://", "http://")):
        raise Unusable("--server must be an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the user's own URL
            return json.load(response)
    except (OSError, ValueError) as exc:
        raise Unusable(f"{url}: {exc}") from None


# --- Commands --------------------------------------------------------------------------------------

def cmd_sth(args):
    head = load_json(args.head)
    size, root = read_head(head)
    signed(args, head)
    return f"signed tree head of {size} entries, root {root.hex()}"


def cmd_inclusion(args):
    head = load_json(args.head)
    size, root = read_head(head)
    signed(args, head)
    if args.entry:
        leaf = sha256(b"\x00" + canonical(load_json(args.entry)))
    elif args.leaf_hash:
        leaf = hex_hash(args.leaf_hash, "--leaf-hash")
    else:
        raise Unusable("give --entry or --leaf-hash")
    proof = args.proof and load_json(args.proof)
    if not proof:
        if not (args.server and args.entry):
            raise Unusable("give PROOF.json, or --server with --entry")
        seq = whole(load_json(args.entry).get("seq"), "the entry's seq")
        proof = fetch(args.server, "/ledger/proof/inclusion", {"seq": seq, "size": size})
    index = whole(proof.get("leaf_index"), "leaf_index")
    if whole(proof.get("tree_size"), "tree_size") != size:
        raise Failed(f"the proof is for tree size {proof.get('tree_size')}, the head's is {size}")
    path = [hex_hash(h, "an audit path hash") for h in proof.get("audit_path", [])]
    if root_from_inclusion(leaf, index, size, path) != root:
        raise Failed(f"entry {index + 1} is not in the tree of this head (a rewritten or reordered entry, or a fork)")
    return f"entry {index + 1} is included in the signed tree head of {size} entries"


def cmd_consistency(args):
    old, new = load_json(args.old), load_json(args.new)
    (first, first_root), (second, second_root) = read_head(old), read_head(new)
    signed(args, old)
    signed(args, new)
    if first > second:
        raise Failed(f"the newer head has fewer entries ({second}) than the older one ({first}): a rollback")
    proof = load_json(args.proof) if args.proof else None
    if proof is None:
        if not args.server:
            raise Unusable("give PROOF.json or --server")
        proof = fetch(args.server, "/ledger/proof/consistency", {"from": first, "to": second})
    if (proof.get("first"), proof.get("second")) != (first, second):
        raise Failed(f"the proof is between sizes {proof.get('first')} and {proof.get('second')}, "
                     f"the heads' are {first} and {second}")
    path = [hex_hash(h, "a consistency path hash") for h in proof.get("consistency_path", [])]
    fr, sr = roots_from_consistency(first, second, first_root, path)
    if fr != first_root or sr != second_root:
        raise Failed(f"the head of {second} entries does not extend the head of {first} entries: the log was "
                     "rolled back or forked")
    return f"the head of {second} entries extends the head of {first} entries"


# --- Exports (docs/trading-log.md, "Exports and receipt proofs") ----------------------------------------

ENTRY_FIELDS = ("seq", "time", "actor", "actor_name", "role", "region", "tender", "action", "payload")


def read_export(path):
    """(head, entries, manifest) of an export file, JSON or CSV; entries is an iterator of
    (row as the file shows it: a dict of ENTRY_FIELDS, leaf text, audit path hex list, is_csv)."""
    try:
        fh = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - read lazily below
        first = fh.read(1)
        fh.seek(0)
    except (OSError, UnicodeDecodeError) as exc:
        raise Unusable(f"{path}: {exc}") from None
    if first == "{":
        doc = load_json(path)
        fh.close()
        if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT or not isinstance(doc.get("entries"), list):
            raise Unusable(f"not an export of format {EXPORT_FORMAT}")
        rows = ((e, e.get("leaf"), e.get("inclusion"), False) if isinstance(e, dict) else ({}, None, None, False)
                for e in doc["entries"])
        return doc.get("sth"), rows, lambda: doc.get("manifest")
    reader = csv.reader(fh)
    try:
        top, columns = next(reader), next(reader)
        if top[0] != EXPORT_FORMAT or columns != [*ENTRY_FIELDS, "leaf", "inclusion"]:
            raise ValueError
        head = json.loads(top[1])
    except (StopIteration, IndexError, ValueError, csv.Error):
        raise Unusable(f"not an export of format {EXPORT_FORMAT}") from None
    end = {}

    def rows():
        for row in reader:
            if end:
                raise Failed("the file goes on after its manifest")
            if row[:1] == ["manifest"] and len(row) == 2:
                try:
                    end["manifest"] = json.loads(row[1])
                except ValueError:
                    raise Unusable("the manifest row is not JSON") from None
                continue
            if len(row) != len(columns):
                raise Unusable(f"row {reader.line_num} does not have {len(columns)} columns")
            cells = dict(zip(columns, row, strict=True))
            yield cells, cells["leaf"], cells["inclusion"].split(), True
        fh.close()

    return head, rows(), lambda: end.get("manifest")


def shown_as(value, doc_value, is_csv):
    """Does the file show this field of the leaf as it is (in CSV: as text, a formula start quoted)?"""
    if not is_csv:
        return value == doc_value
    text = "" if doc_value is None else canonical(doc_value).decode() if isinstance(doc_value, dict) else str(doc_value)
    return value == text or (text.startswith(FORMULA_STARTS) and value == "'" + text)


def cmd_export(args):
    head, rows, manifest_of = read_export(args.export)
    if head is None:
        raise Failed("the export names no signed tree head (none was published then): nothing in it can be checked")
    size, root = read_head(head)
    signed(args, head)
    count, last, digest = 0, 0, hashlib.sha256()
    for shown, leaf_text, path, is_csv in rows:
        if not isinstance(leaf_text, str) or not isinstance(path, list):
            raise Unusable(f"entry {shown.get('seq')} has no leaf or no inclusion proof")
        leaf = leaf_text.encode("utf-8")
        try:
            doc = json.loads(leaf_text)
            seq = whole(doc["seq"], "a leaf's seq")
        except (ValueError, KeyError, TypeError, Unusable):
            raise Failed(f"the leaf of row {count + 1} is not an entry's document") from None
        if canonical(doc) != leaf:
            raise Failed(f"the leaf of entry {seq} is not canonical JSON: it is not the bytes the log hashed")
        if not all(shown_as(shown.get(f), doc.get(f), is_csv) for f in ENTRY_FIELDS):
            raise Failed(f"entry {seq}: the row's fields differ from its leaf data (a rewritten row)")
        if seq <= last:
            raise Failed(f"entry {seq} comes after entry {last}: the entries are out of order (a reordered export)")
        if seq > size or root_from_inclusion(sha256(b"\x00" + leaf), seq - 1, size,
                                             [hex_hash(h, "an audit path hash") for h in path]) != root:
            raise Failed(f"entry {seq} is not in the tree of this head (a rewritten entry, or a fork)")
        digest.update(sha256(b"\x00" + leaf))
        count, last = count + 1, seq
    manifest = manifest_of()
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise Failed("the export has no manifest: it was cut short, or its end was removed")
    if (manifest.get("tree_size"), manifest.get("root_hash")) != (size, root.hex()):
        raise Failed("the manifest names another tree head than the export")
    signed(args, manifest, "manifest")
    if manifest.get("count") != count:
        raise Failed(f"the file holds {count} entries but the manifest signed {manifest.get('count')}: "
                     "entries were deleted or added")
    if manifest.get("entries_sha256") != digest.hexdigest():
        raise Failed("the entries are not the ones the manifest signed, in its order: an entry was deleted, "
                     "added, replaced or moved")
    later = "; later entries of the set were not exported (no head covered them yet)" \
        if manifest.get("newer_not_exported") else ""
    return (f"{count} entries, each included in the signed tree head of {size} entries (root {root.hex()}); "
            f"the manifest signed by the seal covers exactly these entries{later}")


def signed(args, head, what="head"):
    if args.skip_signature:
        return
    if not args.seal:
        raise Unusable("give --seal SEAL.pem (or --skip-signature)")
    try:
        seal = open(args.seal, "rb").read()  # noqa: SIM115
        ca = open(args.ca, "rb").read() if args.ca else None  # noqa: SIM115
    except OSError as exc:
        raise Unusable(str(exc)) from None
    check_signature(head, seal, ca, what)


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn, positional in (("sth", cmd_sth, ["head"]), ("inclusion", cmd_inclusion, ["head", "proof"]),
                                 ("consistency", cmd_consistency, ["old", "new", "proof"]),
                                 ("export", cmd_export, ["export"])):
        s = sub.add_parser(name)
        for arg in positional:
            s.add_argument(arg, nargs="?" if arg == "proof" else None)
        s.add_argument("--seal", "--cert", dest="seal", help="the platform seal certificate (PEM)")
        s.add_argument("--ca", help="the platform root CA certificate (PEM): also check the seal's issuer")
        s.add_argument("--skip-signature", action="store_true", help="check the proof only")
        if name in ("inclusion", "consistency"):
            s.add_argument("--server", help="fetch the proof from this platform, e.g. https://ggzy.example")
        if name == "inclusion":
            s.add_argument("--entry", help="the entry's document (JSON)")
            s.add_argument("--leaf-hash", help="or its leaf hash (hex)")
        s.set_defaults(run=fn)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        print("OK:", args.run(args))
        return 0
    except Failed as exc:
        print("FAILED:", exc)
        return 1
    except Unusable as exc:
        print("unusable input:", exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
