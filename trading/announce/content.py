"""The frozen content of each kind of announcement: (source key, title, body), built from the trading models
at publication. The wording is Chinese, as on the signed PDF (records/render/base.py says why); the
body holds text only, so it is stored, hashed and rendered exactly as it was.

What each kind may say is public by law at that moment: no bidder is named before the opening
(招标投标法 art. 22); the opening's bids only once its record is signed."""

from records.render.base import beijing, yuan

from ..models import Amendment, Award, Bid, Opening, Publicity

HEADINGS = {
    "tender": "招标公告",
    "amendment": "变更公告",
    "opening_record": "开标记录",
    "candidates": "中标候选人公示",
    "result": "中标结果公告",
    "failure": "流标公告",
    "termination": "终止公告",
}
PROCUREMENT_HEADINGS = {"tender": "采购公告", "failure": "废标公告", "result": "中标（成交）结果公告"}
TRANSFER_HEADINGS = {"land": "出让公告", "mining": "出让公告", "assets": "转让公告"}
CATEGORY_WORDS = {"works": "工程建设", "procurement": "政府采购", "land": "土地使用权出让",
                  "mining": "矿业权出让", "assets": "国有产权交易"}
METHOD_WORDS = {"comprehensive": "综合评估法", "lowest_price": "经评审的最低投标价法"}
FAILURE_WORDS = {
    "fewer_than_three_bids": "提交投标文件的投标人少于3个，不得开标，招标人应当依法重新招标（《中华人民共和国招标投标法》"
                             "第二十八条、《中华人民共和国招标投标法实施条例》第四十四条）。",
    "all_rejected": "评标委员会否决全部投标，招标人应当依法重新招标（《中华人民共和国招标投标法》第四十二条）。",
}
OUTCOME_WORDS = {"opened": "已解密", "revoked": "撤销", "withdrawn": "撤回"}
MAX_LETTER_COLUMNS = 5


def money(fen):
    return f"¥{yuan(fen)} 元"


def heading(kind, category):
    if category == "procurement":
        return PROCUREMENT_HEADINGS.get(kind, HEADINGS[kind])
    if kind == "tender" and category in TRANSFER_HEADINGS:
        return TRANSFER_HEADINGS[category]
    return HEADINGS[kind]


def title_of(name, heading_text):
    """The tender's name and the heading, without saying a word twice: 设备采购 + 采购公告 = 设备采购公告."""
    for n in range(len(heading_text) - 1, 1, -1):
        if name.endswith(heading_text[:n]):
            return name + heading_text[n:]
    return name + heading_text


def _header(tender):
    return [["所属项目", tender.project.name], ["所属区域", tender.region.name],
            ["招标人", tender.project.owner.name], ["项目类别", CATEGORY_WORDS.get(tender.category, tender.category)]]


def _body(kind, tender, *, fields=(), paragraphs=(), table=None, legal=""):
    return {
        "heading": heading(kind, tender.category), "tender_code": tender.code, "tender_name": tender.title,
        "fields": [list(pair) for pair in (*_header(tender), *fields)],
        "paragraphs": [p for p in paragraphs if p], "table": table, "legal": legal,
    }


def _documents_table(documents):
    rows = [[str(n), d.name, d.sha256] for n, d in enumerate(documents, start=1)]
    return {"header": ["序号", "文件", "SHA-256"], "rows": rows, "right": []} if rows else None


def tender_content(tender, source):
    fields = [
        ["估算金额", money(tender.estimated_price_fen)], ["投标保证金", money(tender.bid_security_fen)],
        ["招标文件获取时间", f"{beijing(tender.documents_from)} 至 {beijing(tender.documents_until)}"],
        # At publication there is no original deadline yet; in the backfill it is the one first announced.
        ["投标截止及开标时间", beijing(tender.original_deadline or tender.bid_deadline)], ["开标地点", tender.venue],
        ["评标办法", METHOD_WORDS.get(tender.evaluation_method, tender.evaluation_method)],
        ["投标文件递交", "通过本平台在线递交加密投标文件，不见面开标"],
    ]
    docs = tender.documents.filter(amendment__isnull=True).order_by("uploaded_at", "id")
    return "", _body("tender", tender, fields=fields, paragraphs=[tender.description], table=_documents_table(docs),
                     legal="依据《中华人民共和国招标投标法》第十六条发布。所有时间均为北京时间。")


def amendment_content(tender, amendment):
    if not isinstance(amendment, Amendment):
        raise TypeError("an amendment announcement needs its Amendment")
    number = tender.amendments.filter(issued_at__lte=amendment.issued_at, pk__lte=amendment.pk).count()
    fields = [["公告类型", "澄清" if amendment.kind == Amendment.Kind.CLARIFICATION else "修改"],
              ["第几次", str(number)], ["发出时间", beijing(amendment.issued_at)]]
    if amendment.new_deadline:
        fields += [["原投标截止时间", beijing(amendment.old_deadline)], ["新投标截止时间", beijing(amendment.new_deadline)]]
    legal = ("招标人对已发出的招标文件进行必要的澄清或者修改，影响投标文件编制的，应当在投标截止时间至少15日前发出"
             "（《中华人民共和国招标投标法》第二十三条、《中华人民共和国招标投标法实施条例》第二十一条）。")
    return (f"amendment:{amendment.pk}",
            _body("amendment", tender, fields=fields, paragraphs=[amendment.text],
                  table=_documents_table(amendment.documents.order_by("uploaded_at", "id")), legal=legal))


def _letter_value(value, field_type):
    if value is None:
        return "未填写"
    if field_type == "money" and isinstance(value, int) and not isinstance(value, bool):
        return money(value)
    return str(value)


def opening_content(tender, source):
    opening = source if isinstance(source, Opening) else Opening.objects.get(tender=tender)
    # The bids become public with the signed record, never before (招标投标法 art. 22, 36).
    if not Opening.objects.filter(pk=opening.pk, record__isnull=False).exists():
        raise ValueError("the opening record is announced once it is signed")
    letter_fields = list(tender.bid_letter_fields)[:MAX_LETTER_COLUMNS]
    rows = []
    bids = (tender.bids.filter(status=Bid.Status.SUBMITTED).select_related("organization", "opened")
            .order_by("submitted_at", "id"))
    for n, bid in enumerate(bids, start=1):
        result = getattr(bid, "opened", None)
        outcome = result.outcome if result else "withdrawn"
        letter = result.bid_letter if result and outcome == "opened" else None
        values = [_letter_value(letter.get(f["key"]), f["type"]) if letter is not None else "—"
                  for f in letter_fields]
        rows.append([str(n), bid.organization.name, OUTCOME_WORDS.get(outcome, outcome), *values])
    header = ["序号", "投标人", "解密结果", *[f["label"] for f in letter_fields]]
    right = [3 + i for i, f in enumerate(letter_fields) if f["type"] == "money"]
    fields = [["开标时间", beijing(tender.bid_deadline)], ["开标地点", tender.venue],
              ["投标文件数量", str(len(rows))], ["开标结束时间", beijing(opening.closed_at) if opening.closed_at else "—"]]
    legal = ("开标时，由投标人或者其推选的代表检查投标文件的密封情况，当众拆封，宣读投标人名称、投标价格和投标文件的"
             "其他主要内容；开标过程应当记录（《中华人民共和国招标投标法》第三十六条）。")
    return (f"opening:{opening.pk}",
            _body("opening_record", tender, fields=fields, table={"header": header, "rows": rows, "right": right},
                  legal=legal))


def _candidate_table(tender):
    rows = [[str(c.rank), c.organization.name, money(c.price_fen), "—" if c.score is None else f"{c.score:.2f}"]
            for c in tender.candidates.select_related("organization").order_by("rank")]
    return {"header": ["排名", "中标候选人", "投标报价", "综合得分"], "rows": rows, "right": [2, 3]}


def candidates_content(tender, publicity):
    if not isinstance(publicity, Publicity):
        raise TypeError("a candidate publicity announcement needs its Publicity")
    fields = [["公示期", f"{beijing(publicity.starts)} 至 {beijing(publicity.ends)}"]]
    legal = ("投标人或者其他利害关系人对评标结果有异议的，应当在中标候选人公示期间提出。招标人应当自收到异议之日起3日内"
             "作出答复；作出答复前，应当暂停招标投标活动（《中华人民共和国招标投标法实施条例》第五十四条）。")
    return f"publicity:{publicity.pk}", _body("candidates", tender, fields=fields, table=_candidate_table(tender),
                                              legal=legal)


def result_content(tender, award):
    if not isinstance(award, Award):
        raise TypeError("a result announcement needs its Award")
    fields = [["中标人", award.organization.name], ["中标价", money(award.price_fen)],
              ["中标候选人排名", str(award.rank)], ["确定时间", beijing(award.confirmed_at)]]
    paragraphs = [f"招标人确定 {award.organization.name} 为中标人，中标价为 {money(award.price_fen)}。"]
    if award.reason:
        paragraphs.append(f"未确定排名第一的中标候选人为中标人的理由：{award.reason}")
    legal = "中标人确定后，招标人应当向中标人发出中标通知书，并同时将中标结果通知所有未中标的投标人（《中华人民共和国招标投标法》第四十五条）。"
    return f"award:{award.pk}", _body("result", tender, fields=fields, paragraphs=paragraphs,
                                      table=_candidate_table(tender), legal=legal)


def failure_content(tender, source):
    reason = source if isinstance(source, str) and source else tender.failure_reason
    text = FAILURE_WORDS.get(reason, reason or "招标失败，招标人应当依法重新招标。")
    fields = [["投标截止时间", beijing(tender.bid_deadline)]]
    if reason == "fewer_than_three_bids":
        # The number of bids is public at the deadline; who bid is not, as the tender was not opened.
        fields.append(["递交投标文件的投标人数量", str(tender.bids.filter(status=Bid.Status.SUBMITTED).count())])
    return "", _body("failure", tender, fields=fields, paragraphs=[text])


def termination_content(tender, source):
    reason = source if isinstance(source, str) and source else tender.failure_reason
    return "", _body("termination", tender, paragraphs=[f"本项目终止招标。终止原因：{reason or '招标人决定终止'}。"],
                     legal="招标人终止招标的，应当及时发布公告（《中华人民共和国招标投标法实施条例》第三十一条）。")


BUILDERS = {
    "tender": tender_content, "amendment": amendment_content, "opening_record": opening_content,
    "candidates": candidates_content, "result": result_content, "failure": failure_content,
    "termination": termination_content,
}


def build_content(tender, kind, source):
    """(source_key, title, body) of a `kind` announcement of `tender`, as published now."""
    key, body = BUILDERS[kind](tender, source)
    return key, title_of(tender.title, body["heading"]), body
