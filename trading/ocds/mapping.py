"""The platform's categories, statuses and kinds mapped to the OCDS 1.1.5 codelists (docs/ocds.md §3).

Every choice of the models has an entry here, `None` where OCDS has no code for it (and the release
then leaves the field out): tests/ocds/test_mapping.py iterates the choices, so a new status without a
mapping fails there, not in a published release."""

from ..models import Amendment, Category, EvaluationMethod, OpenedBid, Tender

# Tender.Status → tender.status (tenderStatus, closed codelist). None: never published, never released.
TENDER_STATUS = {
    Tender.Status.DRAFT: None,
    Tender.Status.SUBMITTED: None,
    Tender.Status.RETURNED: None,
    Tender.Status.PUBLISHED: "active",
    Tender.Status.CLOSED: "active",
    Tender.Status.OPENING: "active",
    Tender.Status.OPENED: "active",
    Tender.Status.EVALUATING: "active",
    Tender.Status.EVALUATED: "active",
    Tender.Status.PUBLICIZING: "active",  # 中标候选人公示: the awards are `pending`, the tender still runs
    Tender.Status.AWARDED: "complete",
    Tender.Status.FAILED: "unsuccessful",  # 流标: fewer than three bids, or every bid rejected
    Tender.Status.TERMINATED: "cancelled",  # 终止招标
}

# Category → (mainProcurementCategory (procurementCategory, closed) or None, procurementMethodDetails).
# 政府采购 covers goods, works and services alike, and the platform does not record which: left out rather
# than guessed. Land, mining rights and state assets are transfers of rights (出让/转让), not purchases:
# OCDS has no category for them; the local name says what they are.
CATEGORY = {
    Category.WORKS: ("works", "公开招标（工程建设项目）"),
    Category.PROCUREMENT: (None, "公开招标（政府采购）"),
    Category.LAND: (None, "公开出让（土地使用权）"),
    Category.MINING: (None, "公开出让（矿业权）"),
    Category.STATE_ASSETS: (None, "公开交易（国有产权）"),
}

# Every tender of the platform is an open tender (公开招标, 招标投标法 art. 10): anyone may bid.
PROCUREMENT_METHOD = "open"
SUBMISSION_METHOD = ["electronicSubmission"]  # sealed electronic bids (docs/sealed-bid-format.md)
SUBMISSION_DETAILS = "电子密封投标，开标前任何人无法解密（不见面开标）"

# EvaluationMethod → (awardCriteria (open codelist), awardCriteriaDetails).
AWARD_CRITERIA = {
    EvaluationMethod.COMPREHENSIVE: ("ratedCriteria", "综合评估法"),
    EvaluationMethod.LOWEST_PRICE: ("priceOnly", "经评审的最低投标价法"),
}

# Amendment.Kind → the release's tag (releaseTag, closed).
AMENDMENT_TAG = {
    Amendment.Kind.AMENDMENT: "tenderAmendment",  # 修改: the documents change
    Amendment.Kind.CLARIFICATION: "tenderUpdate",  # 澄清: the documents are explained, not changed
}
AMENDMENT_TITLE = {Amendment.Kind.AMENDMENT: "变更公告（修改）", Amendment.Kind.CLARIFICATION: "变更公告（澄清）"}

# OpenedBid.Outcome → bids.details.status (the bids extension's bidStatus codelist). Opened bids are
# `pending` until the evaluation; one that could not be decrypted counts as withdrawn (电子招标投标办法
# art. 31: 视为撤销; otherwise 撤回).
BID_STATUS = {
    OpenedBid.Outcome.OPENED: "pending",
    OpenedBid.Outcome.REVOKED: "withdrawn",
    OpenedBid.Outcome.WITHDRAWN: "withdrawn",
}

# A candidate's award (award.status, closed) before and after the tenderer's confirmation.
CANDIDATE_STATUS = {"publicized": "pending", "winner": "active", "other": "unsuccessful"}

# The trading-log actions that publish a release: action → (tag or None (by the amendment's kind), the
# Tender.Status the tender has in that release).
RELEASE_ACTIONS = {
    "tender.published": ("tender", Tender.Status.PUBLISHED),  # 招标公告 / 采购公告
    "tender.amended": (None, Tender.Status.PUBLISHED),  # 变更公告
    "tender.failed": ("tenderUpdate", Tender.Status.FAILED),  # 流标公告
    "tender.terminated": ("tenderCancellation", Tender.Status.TERMINATED),  # 终止公告
    "opening.closed": ("tenderUpdate", Tender.Status.OPENED),  # 开标记录: bidders and prices become public
    "publicity.published": ("award", Tender.Status.PUBLICIZING),  # 中标候选人公示
    "award.confirmed": ("awardUpdate", Tender.Status.AWARDED),  # 中标结果公告
    "award.contract_signed": ("contract", Tender.Status.AWARDED),  # the contract (招标投标法 art. 46)
}

# Organization identifiers: the unified social credit code (统一社会信用代码), org-id.guide's CN-SAMR list.
IDENTIFIER_SCHEME = "CN-SAMR"
CURRENCY = "CNY"
LANGUAGE = "zh"
