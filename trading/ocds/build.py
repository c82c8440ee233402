"""OCDS releases from the trading log (docs/ocds.md §2).

One release per log entry of `mapping.RELEASE_ACTIONS`, its id and date the entry's: a release never
changes once its entry exists. Each release is the whole public picture of the tender at that entry,
replayed from the tender's earlier entries (dates, deadlines, candidates, the award) and its public rows
(terms, documents, amendments, and, only once the opening is closed, the opened bids: 招标投标法 art. 22
keeps bidders and their number secret until the deadline, and the platform publishes the bids with the
opening record, 开标记录). Nothing else of a bid (files, scores, addresses) is ever read here."""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch

from ledger.canonical import utc_iso
from ledger.models import Entry

from ..models import Bid, Tender
from ..queries import PUBLIC_STATUSES
from . import mapping

DEFAULT_OCID_PREFIX = "ocds-bzggzy"


def ocid_prefix():
    return getattr(settings, "OCDS_OCID_PREFIX", DEFAULT_OCID_PREFIX)


def ocid(tender_code):
    """The tender's Open Contracting ID: the registered prefix, then the tender's code (never changes)."""
    return f"{ocid_prefix()}-{tender_code}"


def tender_code(ocid_text):
    """The tender code an ocid names, or None when it does not carry this platform's prefix."""
    prefix = f"{ocid_prefix()}-"
    return ocid_text[len(prefix):] if ocid_text.startswith(prefix) and len(ocid_text) > len(prefix) else None


def site_url():
    return getattr(settings, "SITE_URL", "").rstrip("/")


def money(fen):
    """Integer fen as a CNY amount (yuan): whole yuan as an integer, otherwise two decimals."""
    return {"amount": fen // 100 if fen % 100 == 0 else round(fen / 100, 2), "currency": mapping.CURRENCY}


def party(org, roles):
    code = org.credit_code
    return {"id": f"{mapping.IDENTIFIER_SCHEME}-{code}", "name": org.name, "roles": roles,
            "identifier": {"scheme": mapping.IDENTIFIER_SCHEME, "id": code, "legalName": org.name},
            "address": {"region": org.region.name, "countryName": "中国"}}


def reference(entry):
    return {"id": entry["id"], "name": entry["name"]}


@dataclass
class _State:
    """What the log has said about a tender up to one entry."""

    published_at: str = ""
    documents_from: str = ""
    documents_until: str = ""
    deadline: str = ""
    release_ids: list = field(default_factory=list)
    amendments: list = field(default_factory=list)  # (Amendment row, its OCDS Amendment)
    opened: bool = False
    failed_bids: int | None = None
    candidates: list = field(default_factory=list)  # the publicity's payload
    publicized_at: str = ""
    winner: dict | None = None  # award.confirmed's payload
    awarded_at: str = ""
    signed_at: str = ""


def _advance(state, tender, entry, payload, release_id):
    """Apply one entry to the state; returns the release's tag."""
    action, at = entry.action, utc_iso(entry.created_at)
    tag = mapping.RELEASE_ACTIONS[action][0]
    if action == "tender.published":
        state.published_at = state.published_at or at
        state.documents_from = payload.get("documents_from") or utc_iso(tender.documents_from)
        state.documents_until = payload.get("documents_until") or utc_iso(tender.documents_until)
        state.deadline = payload.get("bid_deadline") or utc_iso(tender.original_deadline or tender.bid_deadline)
    elif action == "tender.amended":
        amendment = next((a for a in tender.amendments.all() if a.pk == payload.get("amendment")), None)
        if payload.get("new_deadline"):
            state.deadline = payload["new_deadline"]
        if amendment is not None:
            tag = mapping.AMENDMENT_TAG[amendment.kind]
            row = {"id": str(amendment.pk), "date": utc_iso(amendment.issued_at),
                   "rationale": mapping.AMENDMENT_TITLE[amendment.kind], "description": amendment.text,
                   "releaseID": release_id}
            if state.release_ids:
                row["amendsReleaseID"] = state.release_ids[-1]
            state.amendments.append((amendment, row))
        else:
            tag = "tenderAmendment"
    elif action == "opening.closed":
        state.opened = True
    elif action == "tender.failed":
        state.failed_bids = payload.get("bids")
    elif action == "publicity.published":
        state.candidates, state.publicized_at = payload.get("candidates") or [], at
    elif action == "award.confirmed":
        state.winner, state.awarded_at = payload, at
    elif action == "award.contract_signed":
        state.signed_at = payload.get("signed_at") or at
    return tag


def _documents(tender, state):
    base = site_url()
    amended = {a.pk: (a, row) for a, row in state.amendments}
    docs = []
    for doc in tender.documents.all():
        kind, published = "biddingDocuments", state.published_at
        if doc.amendment_id is not None:
            if doc.amendment_id not in amended:
                continue  # not issued yet at this release
            amendment, row = amended[doc.amendment_id]
            published = row["date"]
            if amendment.kind == "clarification":
                kind = "clarifications"
        docs.append({"id": str(doc.pk), "documentType": kind, "title": doc.name, "format": doc.media_type,
                     "url": f"{base}/tenders/{tender.pk}/documents/{doc.pk}/", "datePublished": published})
    return docs


def _bids(tender, parties):
    """The opened bids (开标记录), each bidder a `tenderer` party. Called only once the opening is closed."""
    details, tenderers = [], []
    for bid in tender.opened_bids:
        org = bid.organization
        ref = parties.setdefault(org.pk, party(org, ["tenderer"]))
        tenderers.append(reference(ref))
        detail = {"id": f"{tender.code}-bid-{bid.pk}", "date": utc_iso(bid.submitted_at),
                  "status": mapping.BID_STATUS[bid.opened.outcome], "tenderers": [reference(ref)]}
        price = bid.opened.bid_letter.get("price") if bid.opened.outcome == "opened" else None
        if isinstance(price, int) and not isinstance(price, bool):
            detail["value"] = money(price)
        details.append(detail)
    return details, tenderers


def _awards(tender, state, parties):
    rows = state.candidates or ([{**state.winner}] if state.winner else [])
    winner_rank = state.winner.get("rank") if state.winner else None
    awards = []
    for row in sorted(rows, key=lambda r: r.get("rank", 0)):
        rank = row.get("rank")
        org_id = row.get("organization")
        ref = parties.get(org_id) or {"id": f"org-{org_id}", "name": row.get("name", ""), "roles": []}
        parties.setdefault(org_id, ref)
        if winner_rank is None:
            status, date = mapping.CANDIDATE_STATUS["publicized"], state.publicized_at
        else:
            status = mapping.CANDIDATE_STATUS["winner" if rank == winner_rank else "other"]
            date = state.awarded_at
            if rank == winner_rank and "supplier" not in ref["roles"]:
                ref["roles"] = [*ref["roles"], "supplier"]
        price = state.winner["price_fen"] if rank == winner_rank else row.get("price_fen")
        award = {"id": f"{tender.code}-{rank}", "title": f"第{rank}中标候选人", "status": status, "date": date,
                 "suppliers": [reference(ref)]}
        if isinstance(price, int):
            award["value"] = money(price)
        awards.append(award)
    return awards


def _release(tender, state, entry, tag, release_id):
    status = mapping.RELEASE_ACTIONS[entry.action][1]
    owner = tender.project.owner
    buyer = owner.kind == "tenderer"
    owner_party = party(owner, ["buyer", "procuringEntity"] if buyer else ["procuringEntity"])
    parties = {owner.pk: owner_party}
    category, method_details = mapping.CATEGORY[tender.category]
    criteria, criteria_details = mapping.AWARD_CRITERIA[tender.evaluation_method]
    body = {
        "id": tender.code, "title": tender.title, "status": mapping.TENDER_STATUS[status],
        "procuringEntity": reference(owner_party), "value": money(tender.estimated_price_fen),
        "procurementMethod": mapping.PROCUREMENT_METHOD, "procurementMethodDetails": method_details,
        "awardCriteria": criteria, "awardCriteriaDetails": criteria_details,
        "submissionMethod": mapping.SUBMISSION_METHOD,
        "submissionMethodDetails": f"{mapping.SUBMISSION_DETAILS}；开标地点：{tender.venue}",
        "tenderPeriod": {"startDate": state.published_at, "endDate": state.deadline},
    }
    if tender.description:
        body["description"] = tender.description
    if category:
        body["mainProcurementCategory"] = category
    documents = _documents(tender, state)
    if documents:
        body["documents"] = documents
    if state.amendments:
        body["amendments"] = [row for _a, row in state.amendments]
    release = {"ocid": ocid(tender.code), "id": release_id, "date": utc_iso(entry.created_at), "tag": [tag],
               "initiationType": "tender", "language": mapping.LANGUAGE}
    if state.opened:
        details, tenderers = _bids(tender, parties)
        body["numberOfTenderers"], body["tenderers"] = len(tenderers), tenderers
        release["bids"] = {"details": details}
    elif isinstance(state.failed_bids, int):
        body["numberOfTenderers"] = state.failed_bids  # public after the deadline: the 流标公告 says it
    awards = _awards(tender, state, parties) if (state.candidates or state.winner) else []
    if buyer:
        release["buyer"] = reference(owner_party)
    release["tender"] = body
    if awards:
        release["awards"] = awards
    winner = next((a for a in awards if a["status"] == "active"), None)
    if state.signed_at and winner:
        contract = {"id": f"{tender.code}-contract", "awardID": winner["id"], "status": "active",
                    "dateSigned": state.signed_at}
        if "value" in winner:
            contract["value"] = winner["value"]
        release["contracts"] = [contract]
    if tender.retender_of_id:
        old = tender.retender_of
        release["relatedProcesses"] = [{"id": "1", "relationship": ["unsuccessfulProcess"], "title": old.title,
                                        "scheme": "ocid", "identifier": ocid(old.code)}]
    release["parties"] = list(parties.values())
    return release


def tender_releases(tender, entries):
    """Every release of `tender` (loaded by `load_tenders`), from its RELEASE_ACTIONS entries in seq order."""
    state, releases = _State(), []
    for entry in entries:
        release_id = f"{ocid(tender.code)}-{entry.seq}"
        tag = _advance(state, tender, entry, json.loads(entry.payload), release_id)
        if not state.published_at:
            continue  # nothing is public before the announcement
        releases.append((entry.seq, _release(tender, state, entry, tag, release_id)))
        state.release_ids.append(release_id)
    return releases


def load_tenders(codes):
    """Public tenders by code, with everything a release reads, in a fixed number of queries."""
    opened = Bid.objects.filter(opened__isnull=False).select_related("organization__region", "opened")
    return {t.code: t for t in Tender.objects.filter(code__in=codes, status__in=PUBLIC_STATUSES)
            .select_related("project__owner__region", "retender_of")
            .prefetch_related("amendments", "documents",
                              Prefetch("bids", queryset=opened.order_by("submitted_at", "id"), to_attr="opened_bids"))}


def release_entries():
    """The log entries that are releases, of public tenders, in log order."""
    public = Tender.objects.filter(status__in=PUBLIC_STATUSES).values("code")
    return Entry.objects.filter(action__in=list(mapping.RELEASE_ACTIONS), tender_ref__in=public).order_by("seq")


def releases_for_entries(entries):
    """The releases of `entries` (release_entries rows), in their order."""
    entries = list(entries)
    codes = {e.tender_ref for e in entries}
    tenders = load_tenders(codes)
    history = {}
    for entry in Entry.objects.filter(tender_ref__in=codes, action__in=list(mapping.RELEASE_ACTIONS)).order_by("seq"):
        history.setdefault(entry.tender_ref, []).append(entry)
    built = {}
    for code, tender in tenders.items():
        built.update(tender_releases(tender, history.get(code, [])))
    return [built[e.seq] for e in entries if e.seq in built]
