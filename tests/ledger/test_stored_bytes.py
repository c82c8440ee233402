"""The verifier, the sequencer, the tree and the export hash each stored entry as `chain.stored_bytes(row)`,
written field by field around the stored payload text (it is neither parsed twice nor written again):
it must equal canonical JSON of the entry's document, byte for byte, for every row append() can write."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import canonical_json
from ledger.chain import entry_document, stored_bytes

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | text
payloads = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                        max_leaves=12)
moments = st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(9999, 12, 30),
                       timezones=st.sampled_from([datetime.UTC, datetime.timezone(datetime.timedelta(hours=8))]))


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(min_value=1, max_value=2**62), moment=moments,
       actor=st.none() | st.integers(min_value=1, max_value=2**62), names=st.tuples(text, text, text, text, text),
       payload=st.dictionaries(text, payloads, max_size=5))
def test_the_stored_bytes_are_the_canonical_json_of_the_entry_document(seq, moment, actor, names, payload):
    actor_name, role, region, tender, action = names
    payload_text = canonical_json(payload).decode("utf-8")
    row = (seq, moment, actor, actor_name, role, region, tender, action, payload_text, "", "")
    document = entry_document(seq=seq, created_at=moment, actor_id=actor, actor_name=actor_name, role=role,
                              region_code=region, tender_ref=tender, action=action, payload_text=payload_text)
    assert stored_bytes(row) == canonical_json(document)
