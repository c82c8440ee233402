"""The regulator console's reading of the trading log (issue 14): each entry as one sentence,
"2026-12-03 09:14 巴州区交易中心 张三 发布招标公告 BZ-2026-001".

Every action name the code logs has a phrase here (tests/ledger/test_console_sentences.py reads the source
for them); an action added without one reads as "recorded the action “x.y”" until it gets its phrase.
Actors are resolved for a whole page at once: one query for the users and their organizations, one for
the region names, whatever the number of entries.
"""

import json
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M"  # the one date format of the console

PHRASES = {
    # accounts
    "organization.registered": gettext_lazy("registered the organization"),
    "organization.verified": gettext_lazy("verified an organization"),
    "user.created": gettext_lazy("created a user account"),
    "user.password_reset": gettext_lazy("reset a password by SMS code"),
    "role.granted": gettext_lazy("granted a role"),
    "region.contacts_changed": gettext_lazy("changed a trading center's contact details"),
    "key.registered": gettext_lazy("registered a public key"),
    "api_token.created": gettext_lazy("created an API token"),
    "api_token.revoked": gettext_lazy("revoked an API token"),
    "pki.initialized": gettext_lazy("initialized the platform certificate authority"),
    "pki.certificate_issued": gettext_lazy("issued a certificate"),
    "record.signed": gettext_lazy("signed a record"),
    "ledger.head_cosigned": gettext_lazy("co-signed a signed tree head of the trading log"),
    "ledger.void": gettext_lazy("voided a log number taken by an action that was rolled back"),
    "calendar.day_set": gettext_lazy("set a day of the working calendar"),
    "calendar.year_confirmed": gettext_lazy("confirmed a year's holiday arrangement"),
    "calendar.tender_flagged": gettext_lazy("flagged a tender shortened by the holiday arrangement"),
    # tenders
    "project.created": gettext_lazy("created a project"),
    "tender.created": gettext_lazy("drafted the tender"),
    "tender.updated": gettext_lazy("edited the tender draft"),
    "tender.document_added": gettext_lazy("attached a tender document"),
    "tender.submitted": gettext_lazy("submitted the tender for review"),
    "tender.returned": gettext_lazy("returned the tender for changes"),
    "tender.published": gettext_lazy("published the tender notice"),
    "tender.custodians_set": gettext_lazy("appointed the key custodians"),
    "tender.amended": gettext_lazy("issued a clarification or amendment"),
    "tender.objection_raised": gettext_lazy("raised an objection to the tender documents"),
    "tender.objection_answered": gettext_lazy("answered an objection to the tender documents"),
    "tender.documents_open": gettext_lazy("tender documents on sale"),
    "tender.documents_closed": gettext_lazy("tender documents no longer on sale"),
    "tender.bids_closed": gettext_lazy("bid deadline passed"),
    "tender.failed": gettext_lazy("declared the tender failed"),
    "tender.retendered": gettext_lazy("started a re-tender of the failed tender"),
    "announcement.published": gettext_lazy("published an announcement"),
    # bids (before the deadline the log names neither bidder nor tender: 招标投标法 art. 22)
    "bid.committed": gettext_lazy("recorded a sealed bid event"),
    "bid.revealed": gettext_lazy("revealed the sealed bid events"),
    "bid.upload_created": gettext_lazy("started uploading a bid"),
    "bid.upload_abandoned": gettext_lazy("abandoned a bid upload"),
    "bid.upload_expired": gettext_lazy("bid upload expired"),
    "bid.submitted": gettext_lazy("submitted a bid"),
    "bid.replaced": gettext_lazy("replaced a bid"),
    "bid.withdrawn": gettext_lazy("withdrew a bid"),
    "bid.refused": gettext_lazy("bid refused"),
    # opening
    "opening.started": gettext_lazy("opened the bid opening hall"),
    "opening.signed_in": gettext_lazy("signed in at the opening"),
    "opening.share_released": gettext_lazy("released a key share"),
    "opening.share_refused": gettext_lazy("key share refused"),
    "opening.key_rebuilt": gettext_lazy("rebuilt the opening key"),
    "opening.decrypted": gettext_lazy("decrypted the bids"),
    "opening.bid_opened": gettext_lazy("opened a bid"),
    "opening.document_read": gettext_lazy("read a decrypted bid"),
    "opening.confirm": gettext_lazy("confirmed the opening results"),
    "opening.objection": gettext_lazy("objected at the opening"),
    "opening.confirm_window": gettext_lazy("set the window for confirming the opening results"),
    "opening.objection_answered": gettext_lazy("answered an objection at the opening"),
    "opening.closed": gettext_lazy("closed the opening"),
    # expert draw
    "draw.requested": gettext_lazy("requested an expert draw"),
    "draw.regulator_committed": gettext_lazy("committed the regulator's secret for the expert draw"),
    "draw.drawn": gettext_lazy("drew the experts"),
    "draw.seat_answered": gettext_lazy("an expert answered the draw"),
    "draw.replacement_drawn": gettext_lazy("drew a replacement expert"),
    "draw.complete": gettext_lazy("completed the expert draw"),
    "draw.failed": gettext_lazy("expert draw failed"),
    "draw.revealed": gettext_lazy("revealed the drawn experts"),
    # expert pool and venues
    "expert.created": gettext_lazy("added an expert to the pool"),
    "expert.imported": gettext_lazy("imported experts into the pool"),
    "expert.updated": gettext_lazy("updated an expert's record"),
    "expert.suspended": gettext_lazy("suspended an expert"),
    "expert.reinstated": gettext_lazy("reinstated an expert"),
    "expert.retired": gettext_lazy("retired an expert"),
    "expert.account_linked": gettext_lazy("linked an expert to a user account"),
    "venue.created": gettext_lazy("added an evaluation venue"),
    "venue.updated": gettext_lazy("updated an evaluation venue"),
    # evaluation
    "evaluation.session_opened": gettext_lazy("opened the evaluation session"),
    "evaluation.expert_checked_in": gettext_lazy("checked in for the evaluation"),
    "evaluation.conflict_declared": gettext_lazy("declared a conflict of interest"),
    "evaluation.commitment_signed": gettext_lazy("signed the evaluation commitment"),
    "evaluation.leader_round": gettext_lazy("started a round of the leader election"),
    "evaluation.leader_elected": gettext_lazy("elected the committee leader"),
    "evaluation.stage": gettext_lazy("moved the evaluation to its next stage"),
    "evaluation.qualification_submitted": gettext_lazy("submitted a qualification review"),
    "evaluation.qualification_decided": gettext_lazy("decided the qualification review"),
    "evaluation.sheet_submitted": gettext_lazy("submitted a scoring sheet"),
    "evaluation.sheet_returned": gettext_lazy("returned a scoring sheet for correction"),
    "evaluation.clarification_asked": gettext_lazy("asked a bidder for a clarification"),
    "evaluation.clarification_answered": gettext_lazy("answered a clarification request"),
    "evaluation.clarification_file_read": gettext_lazy("read a clarification's attachment"),
    "evaluation.extension_requested": gettext_lazy("requested more evaluation time"),
    "evaluation.extension_granted": gettext_lazy("granted more evaluation time"),
    "evaluation.paused": gettext_lazy("paused the evaluation"),
    "evaluation.resumed": gettext_lazy("resumed the evaluation"),
    "evaluation.ranked": gettext_lazy("ranked the bids"),
    "evaluation.ranking_answered": gettext_lazy("answered on the ranking"),
    "evaluation.report_signed": gettext_lazy("signed the evaluation report"),
    "evaluation.report_retried": gettext_lazy("retried the evaluation report"),
    "evaluation.closed": gettext_lazy("closed the evaluation session"),
    "alert.reviewed": gettext_lazy("reviewed an alert"),
    # publicity and award
    "publicity.published": gettext_lazy("published the candidates for publicity"),
    "award.candidates_recorded": gettext_lazy("recorded the winning candidates"),
    "award.objection_raised": gettext_lazy("raised an objection to the candidates"),
    "award.objection_answered": gettext_lazy("answered an objection to the candidates"),
    "award.complaint_filed": gettext_lazy("filed a complaint"),
    "award.complaint_decided": gettext_lazy("decided a complaint"),
    "award.confirmed": gettext_lazy("confirmed the award"),
    "award.reported": gettext_lazy("filed the award report"),
    "award.contract_signed": gettext_lazy("recorded the signed contract"),
    "award.records_signed": gettext_lazy("signed the publicity and award records"),
    "award.reminded": gettext_lazy("reminded the tenderer of an award deadline"),
    # green channel
    "green.requested": gettext_lazy("requested the green channel"),
    "green.approved": gettext_lazy("approved a green-channel request"),
    "green.refused": gettext_lazy("refused a green-channel request"),
    "green.officers_assigned": gettext_lazy("assigned green-channel officers"),
    "green.note_added": gettext_lazy("added a green-channel note"),
    "green.plan_extended": gettext_lazy("extended a green-channel plan"),
    # service efficiency (docs/service-efficiency.md)
    "service.overdue_found": gettext_lazy("found a service step past its limit (overdue item)"),
    "service.overdue_closed": gettext_lazy("closed an overdue item, stating its cause"),
    "service.rated": gettext_lazy("recorded an online rating (the rater is not named)"),
    "service.rating_answered": gettext_lazy("answered a dissatisfied rating"),
}


# The console's filter by kind of action: a prefix of the action names, and its label.
GROUPS = [
    ("tender.", gettext_lazy("Tenders")), ("bid.", gettext_lazy("Bids")), ("opening.", gettext_lazy("Openings")), ("draw.", gettext_lazy("Expert draws")),
    ("evaluation.", gettext_lazy("Evaluation")), ("publicity.", gettext_lazy("Publicity")), ("award.", gettext_lazy("Award")),
    ("announcement.", gettext_lazy("Announcements")), ("green.", gettext_lazy("Green channel")), ("expert.", gettext_lazy("Expert pool")),
    ("service.", gettext_lazy("Service efficiency")),
]


def action_choices(current):
    """(value, label) options of the filter; a value typed by hand (e.g. "tender.published") stays selectable."""
    choices = [(prefix, str(label)) for prefix, label in GROUPS]
    if current and current not in dict(choices):
        choices.append((current, str(PHRASES.get(current, current))))
    return choices


def phrase(action):
    """The verb phrase of an action; an unknown one reads as "recorded the action “x.y”"."""
    known = PHRASES.get(action)
    if known is not None:
        return str(known)
    return _("recorded the action “%(action)s”") % {"action": action}


def console_time(moment):
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def raw_document(entry):
    """The entry as hashed, with its hashes: what "raw JSON" shows under each sentence."""
    from .chain import entry_document

    try:
        json.loads(entry.payload)
        payload_text = entry.payload
    except ValueError:  # a tampered row: show it as stored, the console must still open to verify the chain
        payload_text = json.dumps(entry.payload)
    document = entry_document(
        seq=entry.seq, created_at=entry.created_at, actor_id=entry.actor_id, actor_name=entry.actor_name,
        role=entry.role, region_code=entry.region_code, tender_ref=entry.tender_ref, action=entry.action,
        payload_text=payload_text)
    document["prev_hash"], document["hash"] = entry.prev_hash, entry.hash
    return json.dumps(document, ensure_ascii=False, indent=2)


def _who(entry, users):
    """(organization, person) of the entry's actor, as the console names them."""
    from accounts.models import Role

    if entry.actor_id is None:
        return "", _("The platform")
    user = users.get(entry.actor_id)
    if user is None:
        return "", entry.actor_name
    if user.organization is not None:
        organization = user.organization.name
    else:
        organization = str(Role(entry.role).label) if entry.role in Role.values else ""
    return organization, user.full_name or user.username


def annotate(entries):
    """Give each entry of the page `.time_text`, `.organization`, `.person`, `.phrase`, `.sentence`,
    `.region_name` and `.raw`. Two queries for the whole page."""
    from accounts.models import Region, User

    entries = list(entries)
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("organization")} if ids else {}
    codes = {e.region_code for e in entries if e.region_code}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for e in entries:
        e.time_text = console_time(e.created_at)
        e.organization, e.person = _who(e, users)
        e.phrase = phrase(e.action)
        e.region_name = regions.get(e.region_code, e.region_code)
        e.sentence = " ".join(p for p in (e.time_text, e.organization, e.person, e.phrase, e.tender_ref) if p)
        e.raw = raw_document(e)
    return entries
