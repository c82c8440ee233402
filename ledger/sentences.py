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

P = gettext_lazy
PHRASES = {
    # accounts
    "organization.registered": P("registered the organization"),
    "organization.verified": P("verified an organization"),
    "user.created": P("created a user account"),
    "user.password_reset": P("reset a password by SMS code"),
    "role.granted": P("granted a role"),
    "region.contacts_changed": P("changed a trading center's contact details"),
    "key.registered": P("registered a public key"),
    "api_token.created": P("created an API token"),
    "api_token.revoked": P("revoked an API token"),
    "pki.initialized": P("initialized the platform certificate authority"),
    "pki.certificate_issued": P("issued a certificate"),
    "record.signed": P("signed a record"),
    "ledger.head_cosigned": P("co-signed a signed tree head of the trading log"),
    "calendar.day_set": P("set a day of the working calendar"),
    "calendar.year_confirmed": P("confirmed a year's holiday arrangement"),
    "calendar.tender_flagged": P("flagged a tender shortened by the holiday arrangement"),
    # tenders
    "project.created": P("created a project"),
    "tender.created": P("drafted the tender"),
    "tender.updated": P("edited the tender draft"),
    "tender.document_added": P("attached a tender document"),
    "tender.submitted": P("submitted the tender for review"),
    "tender.returned": P("returned the tender for changes"),
    "tender.published": P("published the tender notice"),
    "tender.custodians_set": P("appointed the key custodians"),
    "tender.amended": P("issued a clarification or amendment"),
    "tender.objection_raised": P("raised an objection to the tender documents"),
    "tender.objection_answered": P("answered an objection to the tender documents"),
    "tender.documents_open": P("tender documents on sale"),
    "tender.documents_closed": P("tender documents no longer on sale"),
    "tender.bids_closed": P("bid deadline passed"),
    "tender.failed": P("declared the tender failed"),
    "tender.retendered": P("started a re-tender of the failed tender"),
    "announcement.published": P("published an announcement"),
    # bids (before the deadline the log names neither bidder nor tender: 招标投标法 art. 22)
    "bid.committed": P("recorded a sealed bid event"),
    "bid.revealed": P("revealed the sealed bid events"),
    "bid.upload_created": P("started uploading a bid"),
    "bid.upload_abandoned": P("abandoned a bid upload"),
    "bid.upload_expired": P("bid upload expired"),
    "bid.submitted": P("submitted a bid"),
    "bid.replaced": P("replaced a bid"),
    "bid.withdrawn": P("withdrew a bid"),
    "bid.refused": P("bid refused"),
    # opening
    "opening.started": P("opened the bid opening hall"),
    "opening.signed_in": P("signed in at the opening"),
    "opening.share_released": P("released a key share"),
    "opening.share_refused": P("key share refused"),
    "opening.key_rebuilt": P("rebuilt the opening key"),
    "opening.decrypted": P("decrypted the bids"),
    "opening.bid_opened": P("opened a bid"),
    "opening.document_read": P("read a decrypted bid"),
    "opening.confirm": P("confirmed the opening results"),
    "opening.objection": P("objected at the opening"),
    "opening.confirm_window": P("set the window for confirming the opening results"),
    "opening.objection_answered": P("answered an objection at the opening"),
    "opening.closed": P("closed the opening"),
    # expert draw
    "draw.requested": P("requested an expert draw"),
    "draw.regulator_committed": P("committed the regulator's secret for the expert draw"),
    "draw.drawn": P("drew the experts"),
    "draw.seat_answered": P("an expert answered the draw"),
    "draw.replacement_drawn": P("drew a replacement expert"),
    "draw.complete": P("completed the expert draw"),
    "draw.failed": P("expert draw failed"),
    "draw.revealed": P("revealed the drawn experts"),
    # expert pool and venues
    "expert.created": P("added an expert to the pool"),
    "expert.imported": P("imported experts into the pool"),
    "expert.updated": P("updated an expert's record"),
    "expert.suspended": P("suspended an expert"),
    "expert.reinstated": P("reinstated an expert"),
    "expert.retired": P("retired an expert"),
    "expert.account_linked": P("linked an expert to a user account"),
    "venue.created": P("added an evaluation venue"),
    "venue.updated": P("updated an evaluation venue"),
    # evaluation
    "evaluation.session_opened": P("opened the evaluation session"),
    "evaluation.expert_checked_in": P("checked in for the evaluation"),
    "evaluation.conflict_declared": P("declared a conflict of interest"),
    "evaluation.commitment_signed": P("signed the evaluation commitment"),
    "evaluation.leader_round": P("started a round of the leader election"),
    "evaluation.leader_elected": P("elected the committee leader"),
    "evaluation.stage": P("moved the evaluation to its next stage"),
    "evaluation.qualification_submitted": P("submitted a qualification review"),
    "evaluation.qualification_decided": P("decided the qualification review"),
    "evaluation.sheet_submitted": P("submitted a scoring sheet"),
    "evaluation.sheet_returned": P("returned a scoring sheet for correction"),
    "evaluation.clarification_asked": P("asked a bidder for a clarification"),
    "evaluation.clarification_answered": P("answered a clarification request"),
    "evaluation.clarification_file_read": P("read a clarification's attachment"),
    "evaluation.extension_requested": P("requested more evaluation time"),
    "evaluation.extension_granted": P("granted more evaluation time"),
    "evaluation.paused": P("paused the evaluation"),
    "evaluation.resumed": P("resumed the evaluation"),
    "evaluation.ranked": P("ranked the bids"),
    "evaluation.ranking_answered": P("answered on the ranking"),
    "evaluation.report_signed": P("signed the evaluation report"),
    "evaluation.report_retried": P("retried the evaluation report"),
    "evaluation.closed": P("closed the evaluation session"),
    "alert.reviewed": P("reviewed an alert"),
    # publicity and award
    "publicity.published": P("published the candidates for publicity"),
    "award.candidates_recorded": P("recorded the winning candidates"),
    "award.objection_raised": P("raised an objection to the candidates"),
    "award.objection_answered": P("answered an objection to the candidates"),
    "award.complaint_filed": P("filed a complaint"),
    "award.complaint_decided": P("decided a complaint"),
    "award.confirmed": P("confirmed the award"),
    "award.reported": P("filed the award report"),
    "award.contract_signed": P("recorded the signed contract"),
    "award.records_signed": P("signed the publicity and award records"),
    "award.reminded": P("reminded the tenderer of an award deadline"),
    # green channel
    "green.requested": P("requested the green channel"),
    "green.approved": P("approved a green-channel request"),
    "green.refused": P("refused a green-channel request"),
    "green.officers_assigned": P("assigned green-channel officers"),
    "green.note_added": P("added a green-channel note"),
    "green.plan_extended": P("extended a green-channel plan"),
    # service efficiency (docs/service-efficiency.md)
    "service.overdue_found": P("found a service step past its limit (overdue item)"),
    "service.overdue_closed": P("closed an overdue item, stating its cause"),
    "service.rated": P("recorded an online rating (the rater is not named)"),
    "service.rating_answered": P("answered a dissatisfied rating"),
}


# The console's filter by kind of action: a prefix of the action names, and its label.
GROUPS = [
    ("tender.", P("Tenders")), ("bid.", P("Bids")), ("opening.", P("Openings")), ("draw.", P("Expert draws")),
    ("evaluation.", P("Evaluation")), ("publicity.", P("Publicity")), ("award.", P("Award")),
    ("announcement.", P("Announcements")), ("green.", P("Green channel")), ("expert.", P("Expert pool")),
    ("service.", P("Service efficiency")),
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
