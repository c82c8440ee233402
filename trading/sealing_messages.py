"""What a person reads when sealing, a self-check, a key file or a share fails: translated texts for the
pages (bid panel, keys page, opening hall), keyed by the stable codes of docs §8.

The Django part of the sealed-bid format (translations), kept out of the Django-free library
sealedbid/; only the `{% sealing_texts %}` tag (trading/templatetags/sealing_texts.py) imports it,
never the CLIs. static/js/sealing-text.js turns a
SealingError into one of these sentences.
"""

from django.utils.translation import gettext as _


def sealing_texts() -> dict:
    """For a page's JSON messages: {"given": {file kind: name}, "codes": {code: sentence}, …}.

    `%(given)s` is the kind of file the person chose (sealing.js describeFile), `%(code)s` the code.
    """
    envelope_damaged = _("The sealed bid is damaged (%(code)s): withdraw it and submit it again before the deadline.")
    return {
        "given": {
            "bidder_key": _("a bidder key file"),
            "custodian_key": _("a key custodian's key file"),
            "envelope": _("a sealed bid"),
            "opening_key_record": _("a tender's opening key record"),
            "receipt": _("a bid receipt"),
            "pem": _("a key in PEM format"),
            "json": _("a JSON file"),
        },
        "codes": {
            "wrong_key_kind": _("This is %(given)s, not %(expected)s."),
            "bad_key_file": _("This %(given)s is damaged or incomplete and cannot be read."),
            "not_a_key_file": _("This is %(given)s, not a key file. Choose the key file (.json) you downloaded "
                                "when you made your keys."),
            "unknown_file": _("The chosen file is not a key file. Choose the key file (.json) you downloaded "
                              "when you made your keys."),
            "passphrase_required": _("This %(given)s is protected by a passphrase: enter the passphrase."),
            "wrong_passphrase": _("Wrong passphrase for this %(given)s (or the file is damaged)."),
            "bad_magic": _("This file is not a sealed bid."),
            "bad_header": envelope_damaged,
            "bad_wrapped_key": envelope_damaged,
            "bad_size": envelope_damaged,
            "truncated": envelope_damaged,
            "corrupt_chunk": envelope_damaged,
            "bad_signature": envelope_damaged,
            "bad_manifest": _("The sealed bid decrypts, but its list of contents is invalid (bad_manifest): "
                              "withdraw it and submit it again before the deadline."),
            "wrong_signing_key": _("This bid was not signed with the signing key of this bidder key file: "
                                   "choose the key file your company registered."),
            "wrong_key": _("This bid was not sealed with the encryption key of this bidder key file: choose the "
                           "key file you sealed it with."),
            "wrong_tender": _("This sealed bid is for another tender."),
            "wrong_opening_key": _("This sealed bid was sealed to another opening key."),
            "file_changed": _("A bid file changed while it was being sealed: seal again."),
            "bad_key": _("The tender's opening key is not valid: contact the trading center."),
            "wrong_shares": _("Your share of the opening key was not encrypted to the key of this key custodian "
                              "key file: choose the key file you registered as a custodian."),
            "other": _("Failed (%(code)s)."),
        },
        "kinds": {"bidder": _("a bidder key file"), "custodian": _("a key custodian's key file")},
        "bid_files": _("Bid files"),  # the self-check's list of files, beside the bid letter
    }
