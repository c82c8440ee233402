"""The role matrix (issue 9): every route of the URL configuration and of the websocket routing, asked by
every role, against the answer written down below. Routes are read from the resolvers, so a new endpoint
without a row fails `test_every_route_has_a_row`; a row without a route fails `test_every_row_names_a_route`.

Cells:
  200, 400, 403, 404, 405, 409 …  that status, and the trading log did not move
  302L    a redirect to the login page, nothing written
  302     a redirect elsewhere (back to the page with a message), nothing written
  W       the request wrote: the trading log's head moved (or, for uploads, which log nothing, the upload rows changed)
  -       denied without a write: one of 302L, 401, 403, 404, 405
  A       (websocket) accepted;  4403: accepted then closed with 4403 (refused)

Columns: anon = anonymous; bid = a verified bidder that has bid on the open tender; bid2 = a verified bidder
with no bid there; unver = a company registered but not verified by staff; tend = the tenderer of every
tender here; tend2 = another tenderer of the same county; stH / stE / stC = trading center staff of 通江县
(the tenders' county), of 南江县, of the city; cust = a key custodian of the tenders; exp = an evaluation
expert; regH / regC = regulators of 通江县 and of the city.

Which object a route acts on is in ROUTES: the open tender (bidding until its deadline, 招标投标法 art. 22
keeps who has bid secret until then), a draft, a submitted tender, and an opened one.
The open tender carries an unanswered objection, so it is suspended (实施条例 art. 22): the bidder's finalize
answers 409 `tender_suspended` (tests/trading/test_objection_suspension.py finalizes after the answer).
"""

import datetime

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from ledger import chain
from ledger.queries import last_seq
from tests.factories import pdf_file
from tests.role_matrix_fixtures import COUNTY, ROLES, build_world, uploads_state
from trading.ocds.build import ocid

MATRIX = """
route                            method anon  bid   bid2  unver tend  tend2 stH   stE   stC   cust  exp   regH  regC
home                             GET    200   200   200   200   200   200   200   200   200   200   200   200   200
trading:list                     GET    200   200   200   200   200   200   200   200   200   200   200   200   200
trading:new                      GET    302L  403   403   403   200   200   403   403   403   403   403   403   403
trading:new                      POST   302L  403   403   403   W     W     403   403   403   403   403   403   403
trading:mine                     GET    302L  302   302   302   200   200   403   403   403   403   403   403   403
trading:review                   GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
trading:detail                   GET    200   200   200   200   200   200   200   200   200   200   200   200   200
trading:edit                     GET    302L  404   404   404   200   404   403   404   403   404   404   403   403
trading:edit                     POST   302L  404   404   404   W     404   403   404   403   404   404   403   403
trading:add_document             GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:add_document             POST   302L  403   403   403   W     403   403   403   403   403   403   403   403
trading:document                 GET    200   200   200   200   200   200   200   200   200   200   200   200   200
trading:submit                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:submit                   POST   302L  403   403   403   W     403   403   403   403   403   403   403   403
trading:approve                  GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:approve                  POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
trading:return                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:return                   POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
trading:custodians               GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:custodians               POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
trading:amend                    GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:amend                    POST   302L  403   403   403   W     403   403   403   403   403   403   403   403
trading:object                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:object                   POST   302L  W     W     W     403   403   403   403   403   403   403   403   403
trading:answer_objection         GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:answer_objection         POST   302L  403   403   403   W     403   403   403   403   403   403   403   403
trading:calendar                 GET    200   200   200   200   200   200   200   200   200   200   200   200   200
trading:calendar                 POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
trading:calendar_confirm         GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:calendar_confirm         POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
trading:today                    GET    200   200   200   200   200   200   200   200   200   200   200   200   200
help:index                       GET    200   200   200   200   200   200   200   200   200   200   200   200   200
help:topic                       GET    200   200   200   200   200   200   200   200   200   200   200   200   200
help:contacts                    GET    200   200   200   200   200   200   200   200   200   200   200   200   200
help:contacts                    POST   403   403   403   403   403   403   W     403   W     403   403   403   403
trading:green_board              GET    302L  403   403   403   403   403   200   200   200   403   403   403   403
trading:green_overview           GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
trading:green_summary            GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:green_summary            POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
trading:green_request            GET    302L  403   403   403   200   403   403   403   403   403   403   403   403
trading:green_request            POST   302L  403   403   403   W     403   403   403   403   403   403   403   403
trading:green_detail             GET    302L  403   403   403   200   403   200   403   200   403   403   200   200
trading:green_evidence           GET    302L  403   403   403   200   403   200   403   200   403   403   200   200
trading:green_decide             GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:green_decide             POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
trading:green_assign             GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:green_assign             POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
trading:green_note               GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
trading:green_note               POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
trading:hall                     GET    302L  200   403   403   403   403   200   403   200   200   403   200   200
trading:opened_document          GET    302L  403   403   403   403   403   W     403   W     403   403   403   403
accounts:login                   GET    200   302   302   302   302   302   302   302   302   302   302   302   302
accounts:login                   POST   200   302   302   302   302   302   302   302   302   302   302   302   302
accounts:logout                  GET    405   405   405   405   405   405   405   405   405   405   405   405   405
accounts:logout                  POST   302   302   302   302   302   302   302   302   302   302   302   302   302
accounts:register                GET    200   200   200   200   200   200   200   200   200   200   200   200   200
accounts:register                POST   W     W     W     W     W     W     W     W     W     W     W     W     W
accounts:password_reset_request  GET    200   200   200   200   200   200   200   200   200   200   200   200   200
accounts:password_reset_request  POST   302   302   302   302   302   302   302   302   302   302   302   302   302
accounts:password_reset          GET    200   200   200   200   200   200   200   200   200   200   200   200   200
accounts:password_reset          POST   400   400   400   400   400   400   400   400   400   400   400   400   400
accounts:security                GET    302L  200   200   200   200   200   200   200   200   200   200   200   200
accounts:organizations           GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
accounts:verify_organization     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
accounts:verify_organization     POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
workspace:home                   GET    302L  200   200   200   200   200   200   200   200   200   200   200   200
notices:list                     GET    302L  200   200   200   200   200   200   200   200   200   200   200   200
notices:read                     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
notices:read                     POST   302L  302   404   404   404   404   404   404   404   404   404   404   404
service:ratings                  GET    200   200   200   200   200   200   200   200   200   200   200   200   200
service:mine                     GET    302L  200   200   200   200   200   403   403   403   403   403   403   403
service:rate                     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
service:rate                     POST   302L  403   403   403   W     403   403   403   403   403   403   403   403
service:answer                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
service:answer                   POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
service:overdue                  GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
service:close                    GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
service:close                    POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
stats:public                     GET    200   200   200   200   200   200   200   200   200   200   200   200   200
stats:data                       GET    200   200   200   200   200   200   200   200   200   200   200   200   200
stats:export                     GET    200   200   200   200   200   200   200   200   200   200   200   200   200
stats:screen                     GET    200   200   200   200   200   200   200   200   200   200   200   200   200
stats:internal                   GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
stats:internal_data              GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
stats:internal_export            GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
ranking:index                    GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
ranking:detail                   GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
ranking:pdf                      GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
ranking:pdf                      POST   302L  403   403   403   403   403   403   403   302   403   403   403   403
ledger:console                   GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
ledger:export                    GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
records:list                     GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
records:verify                   GET    200   200   200   200   200   200   200   200   200   200   200   200   200
records:verify                   POST   400   400   400   400   400   400   400   400   400   400   400   400   400
records:download                 GET    302L  200   403   403   403   403   403   403   403   403   403   403   403
announcements:list               GET    200   200   200   200   200   200   200   200   200   200   200   200   200
announcements:detail             GET    200   200   200   200   200   200   200   200   200   200   200   200   200
announcements:pdf                GET    200   200   200   200   200   200   200   200   200   200   200   200   200
award:page                       GET    302L  200   403   403   200   403   200   403   200   403   403   200   200
award:complaints                 GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
award:publish                    GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:publish                    POST   302L  403   403   403   302   403   403   403   403   403   403   403   403
award:object                     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:object                     POST   302L  302   403   403   403   403   403   403   403   403   403   403   403
award:answer                     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:answer                     POST   302L  404   404   404   404   404   404   404   404   404   404   404   404
award:complain                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:complain                   POST   302L  404   404   404   404   404   404   404   404   404   404   404   404
award:decide                     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:decide                     POST   302L  404   404   404   404   404   404   404   404   404   404   404   404
award:confirm                    GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:confirm                    POST   302L  403   403   403   302   403   403   403   403   403   403   403   403
award:contract                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:contract                   POST   302L  403   403   403   404   403   403   403   403   403   403   403   403
award:report                     GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:report                     POST   302L  403   403   403   404   403   403   403   403   403   403   403   403
award:retender                   GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
award:retender                   POST   302L  403   403   403   302   403   403   403   403   403   403   403   403
set_language                     GET    302   302   302   302   302   302   302   302   302   302   302   302   302
set_language                     POST   302   302   302   302   302   302   302   302   302   302   302   302   302
pki-certificates                 GET    200   200   200   200   200   200   200   200   200   200   200   200   200
ocds:releases                    GET    200   200   200   200   200   200   200   200   200   200   200   200   200
ocds:releases_jsonl              GET    200   200   200   200   200   200   200   200   200   200   200   200   200
ocds:record                      GET    200   200   200   200   200   200   200   200   200   200   200   200   200
tender-list                      GET    200   200   200   200   200   200   200   200   200   200   200   200   200
tender-list                      POST   401   403   403   403   W     403   403   403   403   403   403   403   403
tender-detail                    GET    200   200   200   200   200   200   200   200   200   200   200   200   200
tender-detail                    PATCH  401   403   403   403   W     403   403   403   403   403   403   403   403
tender-amendments                GET    401   405   405   405   405   405   405   405   405   405   405   405   405
tender-amendments                POST   401   403   403   403   W     403   403   403   403   403   403   403   403
tender-approve                   GET    401   405   405   405   405   405   405   405   405   405   405   405   405
tender-approve                   POST   401   403   403   403   403   403   W     403   W     403   403   403   403
tender-documents                 GET    401   405   405   405   405   405   405   405   405   405   405   405   405
tender-documents                 POST   401   403   403   403   W     403   403   403   403   403   403   403   403
tender-objections                GET    401   405   405   405   405   405   405   405   405   405   405   405   405
tender-objections                POST   401   W     W     W     403   403   403   403   403   403   403   403   403
tender-return-                   GET    401   405   405   405   405   405   405   405   405   405   405   405   405
tender-return-                   POST   401   403   403   403   403   403   W     403   W     403   403   403   403
tender-submit                    GET    401   405   405   405   405   405   405   405   405   405   405   405   405
tender-submit                    POST   401   403   403   403   W     403   403   403   403   403   403   403   403
project-list                     GET    401   405   405   405   405   405   405   405   405   405   405   405   405
project-list                     POST   401   403   403   403   W     W     403   403   403   403   403   403   403
objection-answer                 GET    401   405   405   405   405   405   405   405   405   405   405   405   405
objection-answer                 POST   401   403   403   403   W     403   403   403   403   403   403   403   403
upload-list                      GET    401   405   405   405   405   405   405   405   405   405   405   405   405
upload-list                      POST   401   409   W     403   403   403   403   403   403   403   403   403   403
upload-detail                    GET    401   200   403   403   403   403   403   403   403   403   403   403   403
upload-finalize                  GET    401   405   405   405   405   405   405   405   405   405   405   405   405
upload-finalize                  POST   401   409   403   403   403   403   403   403   403   403   403   403   403
upload-parts                     GET    401   405   405   405   405   405   405   405   405   405   405   405   405
upload-parts                     PUT    401   W     403   403   403   403   403   403   403   403   403   403   403
bid-list                         GET    401   200   200   200   200   200   200   200   200   200   200   200   200
bid-detail                       GET    401   200   404   404   404   404   404   404   404   404   404   404   404
bid-envelope                     GET    401   200   404   404   404   404   404   404   404   404   404   404   404
bid-inclusion                    GET    401   409   404   404   404   404   404   404   404   404   404   404   404
bid-withdraw                     GET    401   405   405   405   405   405   405   405   405   405   405   405   405
bid-withdraw                     POST   401   W     403   403   403   403   403   403   403   403   403   403   403
key-list                         GET    401   200   200   200   200   200   200   200   200   200   200   200   200
key-list                         POST   401   W     W     403   403   403   403   403   403   403   403   403   403
token-list                       GET    403   200   200   200   200   200   200   200   200   200   200   200   200
token-list                       POST   403   W     W     W     W     W     W     W     W     W     W     W     W
token-detail                     GET    403   405   405   405   405   405   405   405   405   405   405   405   405
token-detail                     DELETE 403   W     404   404   404   404   404   404   404   404   404   404   404
api-root                         GET    200   200   200   200   200   200   200   200   200   200   200   200   200
api-schema                       GET    200   200   200   200   200   200   200   200   200   200   200   200   200
api-docs                         GET    200   200   200   200   200   200   200   200   200   200   200   200   200
evaluation:draw_request          GET    302L  403   403   403   403   403   200   403   200   403   403   403   403
evaluation:draw_request          POST   302L  403   403   403   403   403   409   403   409   403   403   403   403
evaluation:draw                  GET    302L  403   403   403   403   403   200   403   200   403   403   200   200
evaluation:draw_secret           GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:draw_secret           POST   302L  403   403   403   403   403   403   403   403   403   403   409   409
evaluation:draw_reveal           GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:draw_reveal           POST   302L  403   403   403   403   403   302   403   302   403   403   403   403
evaluation:draw_verify           GET    200   200   200   200   200   200   200   200   200   200   200   200   200
evaluation:draw_frozen_list      GET    404   404   404   404   404   404   404   404   404   404   404   404   404
evaluation:draw_answer           GET    200   200   200   200   200   200   200   200   200   200   200   200   200
evaluation:draw_answer           POST   400   400   400   400   400   400   400   400   400   400   400   400   400
evaluation:expert_list           GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
evaluation:expert_create         GET    302L  403   403   403   403   403   403   403   200   403   403   403   403
evaluation:expert_create         POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
evaluation:expert_import         GET    302L  403   403   403   403   403   403   403   200   403   403   403   403
evaluation:expert_import         POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
evaluation:expert_export         GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
evaluation:expert_detail         GET    302L  403   403   403   403   403   200   403   200   403   403   200   200
evaluation:expert_edit           GET    302L  403   403   403   403   403   403   403   200   403   403   403   403
evaluation:expert_edit           POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
evaluation:expert_suspend        GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:expert_suspend        POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
evaluation:expert_reinstate      GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:expert_reinstate      POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
evaluation:expert_retire         GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:expert_retire         POST   302L  403   403   403   403   403   403   403   W     403   403   403   403
evaluation:venue_list            GET    302L  403   403   403   403   403   200   200   200   403   403   200   200
evaluation:venue_list            POST   302L  403   403   403   403   403   W     200   W     403   403   403   403
evaluation:venue_edit            GET    302L  403   403   403   403   403   200   403   200   403   403   403   403
evaluation:venue_edit            POST   302L  403   403   403   403   403   W     403   W     403   403   403   403
evaluation:session_list          GET    302L  403   403   403   403   403   200   200   200   403   200   200   200
evaluation:session_open          GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:session_open          POST   302L  403   403   403   403   403   302   403   302   403   403   403   403
evaluation:session               GET    302L  403   403   403   403   403   200   403   200   403   200   200   200
evaluation:alert_list            GET    302L  403   403   403   403   403   403   403   403   403   403   200   200
evaluation:alert_detail          GET    302L  403   403   403   403   403   403   403   403   403   403   200   200
evaluation:alert_review          GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:alert_review          POST   302L  403   403   403   403   403   403   403   403   403   403   W     W
evaluation:clarifications        GET    302L  200   200   200   403   403   403   403   403   403   403   403   403
evaluation:clarification_answer  GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
evaluation:clarification_answer  POST   302L  W     403   403   403   403   403   403   403   403   403   403   403
evaluation:clarification_file    GET    302L  W     403   403   403   403   W     403   W     403   W     W     W
ledger:cosign                    GET    302L  405   405   405   405   405   405   405   405   405   405   405   405
ledger:cosign                    POST   302L  403   403   403   403   403   403   403   403   403   403   404   404
ledger:sth                       GET    404   404   404   404   404   404   404   404   404   404   404   404   404
ledger:sth_history               GET    200   200   200   200   200   200   200   200   200   200   200   200   200
ledger:inclusion_proof           GET    404   404   404   404   404   404   404   404   404   404   404   404   404
ledger:consistency_proof         GET    404   404   404   404   404   404   404   404   404   404   404   404   404
"""

WS_MATRIX = """
route                            method anon  bid   bid2  unver tend  tend2 stH   stE   stC   cust  exp   regH  regC
ws/ledger/                       WS     4403  4403  4403  4403  4403  4403  A     A     A     4403  4403  A     A
ws/opening/<int:tender_id>/      WS     4403  A     4403  4403  4403  4403  A     4403  A     A     4403  A     A
ws/evaluation/<int:session_id>/  WS     4403  4403  4403  4403  4403  4403  A     4403  A     4403  A     A     A
ws/clarifications/               WS     4403  A     A     A     4403  4403  4403  4403  4403  4403  4403  4403  4403
ws/statistics/                   WS     A     A     A     A     A     A     A     A     A     A     A     A     A
"""

DENIED = {"302L", "401", "403", "404", "405"}


def _parse(text):
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == ROLES, header
    table = {}
    for row in rows:
        assert len(row) == len(header), row
        assert (row[0], row[1]) not in table, f"two rows for {row[0]} {row[1]}"
        table[(row[0], row[1])] = dict(zip(ROLES, row[2:], strict=True))
    return table


# ---------------------------------------------------------------- what each route is asked

def _form_terms(now=None):
    now = timezone.localtime(now or timezone.now())
    day = datetime.timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "title": "矩阵标段", "description": "", "venue": "通江县开标室", "estimated_price": "1000000",
        "bid_security": "20000", "documents_from": (now + day).strftime(fmt),
        "documents_until": (now + 9 * day).strftime(fmt), "bid_deadline": (now + 30 * day).strftime(fmt),
        "evaluation_method": "comprehensive", "criteria-TOTAL_FORMS": "2", "criteria-INITIAL_FORMS": "0",
        "criteria-0-name": "投标报价", "criteria-0-weight": "60", "criteria-0-kind": "price",
        "criteria-1-name": "技术方案", "criteria-1-weight": "40", "criteria-1-kind": "technical",
        "bid_letter_fields": ["price", "duration_days"], "max_bid_mb": "100",
    }


def _api_terms():
    now, day = timezone.now(), datetime.timedelta(days=1)
    return {
        "title": "矩阵标段", "venue": "通江县开标室", "estimated_price_fen": 100_000_000, "bid_security_fen": 2_000_000,
        "documents_from": (now + day).isoformat(), "documents_until": (now + 9 * day).isoformat(),
        "bid_deadline": (now + 30 * day).isoformat(), "evaluation_method": "comprehensive",
        "criteria": [{"name": "投标报价", "weight": 60, "kind": "price"},
                     {"name": "技术方案", "weight": 40, "kind": "technical"}],
    }


def _form(data):
    return lambda w: {"data": data(w) if callable(data) else data}


def _json(data):
    return lambda w: {"data": data(w) if callable(data) else data, "content_type": "application/json"}


def _new_tender_form(w):
    return {**_form_terms(), "project_name": "矩阵项目", "region": COUNTY, "category": "works"}


def _register_form(w):
    from accounts.credit_code import make_code

    return {"name": "矩阵新公司", "credit_code": make_code(f"91{COUNTY}MA0000009"), "region": COUNTY,
            "full_name": "张三", "phone": "", "username": "m_registered", "password": "a-long-password-9"}


def _fresh_signing_pem(w):
    from Crypto.PublicKey import ECC

    return {"purpose": "bid_signing", "pem": ECC.generate(curve="P-256").public_key().export_key(format="PEM")}


def _tender(state):
    return lambda w: {"pk": w.tenders[state].pk}


def _id(name, key="pk"):
    return lambda w: {key: w.ids[name]}


def _expert_form(w, serial, **extra):
    from evaluation.demo import id_number
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties

    ensure_specialties(Specialty)
    return {"name": "矩阵专家", "id_number": id_number(serial, COUNTY) if serial else "", "phone": "13900000901",
            "region": COUNTY, "specialties": ["ENG-BLD"], "title": "", "employer_credit_code": "",
            "employer_name": "", **extra}


def _pool_expert(status="active"):
    """The path kwargs of an expert of 通江县 (made once per test, through the pool actions)."""

    def kwargs(w):
        from evaluation.actions import pool
        from evaluation.models import Expert, Specialty
        from evaluation.specialties import ensure_specialties

        serial = 902 if status == "active" else 903
        expert = Expert.objects.filter(id_number=_expert_form(w, serial)["id_number"]).first()
        if expert is None:
            ensure_specialties(Specialty)
            expert = pool.create_expert(actor=w.users["stC"], data=_expert_form(w, serial))
            if status == "suspended":
                pool.suspend_expert(actor=w.users["stC"], expert_id=expert.pk,
                                    until=datetime.date(2099, 12, 31), reason="矩阵")
        return {"pk": expert.pk}

    return kwargs


def _pool_venue(w):
    from evaluation.actions import pool
    from evaluation.models import Venue

    venue = Venue.objects.filter(name="矩阵评标室").first() or pool.create_venue(
        actor=w.users["stH"], data={"name": "矩阵评标室", "region": COUNTY, "seats": 9})
    return {"pk": venue.pk}


def _venue_form(w):
    return {"name": "矩阵评标室二", "region": COUNTY, "address": "", "seats": "7", "active": "on"}


def _pool_csv(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.demo import id_number
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties

    ensure_specialties(Specialty)
    text = f"姓名,身份证号,手机,地区代码,专业\r\n矩阵导入,{id_number(904, COUNTY)},13900000904,{COUNTY},ENG-BLD\r\n"
    return SimpleUploadedFile("experts.csv", text.encode("utf-8-sig"))


def _matrix_draw(w):
    """A draw of the opened tender, drawn: six experts of the city hold 房屋建筑, the opening is closed, staff
    requested a committee of five and the regulator gave the second secret (made once per world)."""
    from evaluation.actions import draw as draw_actions
    from evaluation.models import Draw, Specialty
    from evaluation.specialties import ensure_specialties
    from tests.evaluation.conftest import make_experts
    from trading.actions.opening import close_opening

    tender = w.tenders["opened"]
    draw = Draw.objects.filter(tender=tender).first()
    if draw is None:
        ensure_specialties(Specialty)
        make_experts(6, specialties=[Specialty.objects.get(code="ENG-BLD")])
        close_opening(actor=w.users["stH"], tender_id=tender.pk)
        draw = draw_actions.request_draw(
            actor=w.users["stH"], tender_id=tender.pk, committee_size=5, tenderer_representatives=0,
            requirements=[{"specialty": "ENG-BLD", "count": 5, "venue": None, "main": False, "offsite": False}])
        draw = draw_actions.contribute_regulator_secret(actor=w.users["regH"], draw_id=draw.pk, secret_hex="cd" * 32)
    return draw


def _this_quarter(w):
    """The current quarter (the world's log starts in it): provisional, so its PDF is refused (302 back)."""
    from service.ranking import quarter_of

    year, q = quarter_of(timezone.now())
    return {"year": year, "q": q}


class R:
    """How a route is asked: path parameters from the world, the write (method, body) if it takes one,
    and for writes that log nothing, what else must not change."""

    def __init__(self, kwargs=None, write=None, body=None, query="", probe=None, write_kwargs=None):
        self.kwargs, self.write, self.body, self.query, self.probe = kwargs, write, body, query, probe
        self.write_kwargs = write_kwargs or kwargs

    def path(self, name, method, world):
        kwargs = self.kwargs if method == "GET" else self.write_kwargs
        return reverse(name, kwargs=kwargs(world) if kwargs else None) + (self.query if method != "GET" else "")


ROUTES = {
    "home": R(),
    "trading:list": R(),
    "trading:new": R(write="POST", body=_form(_new_tender_form)),
    "trading:mine": R(),
    "trading:review": R(),
    "trading:detail": R(_tender("open")),
    "trading:edit": R(_tender("draft"), "POST", _form(lambda w: _form_terms())),
    "trading:add_document": R(_tender("draft"), "POST", lambda w: {"data": {"document": pdf_file("补充.pdf")}}),
    "trading:document": R(lambda w: {"pk": w.tenders["open"].pk, "doc_pk": w.ids["document"]}),
    "trading:submit": R(_tender("draft"), "POST", _form({})),
    "trading:approve": R(_tender("submitted"), "POST", _form({})),
    "trading:return": R(_tender("submitted"), "POST", _form({"reason": "请补充资格条件"})),
    "trading:custodians": R(_tender("submitted"), "POST",
                            _form(lambda w: {"custodians": w.ids["custodians"], "threshold": "2"})),
    "trading:amend": R(_tender("open"), "POST",
                       _form({"kind": "clarification", "text": "对第三章的澄清", "affects_bids": ""})),
    "trading:object": R(_tender("open"), "POST", _form({"text": "对评标办法有异议"})),
    "trading:answer_objection": R(_id("objection"), "POST", _form({"answer": "已修改资格条件"})),
    "trading:calendar": R(write="POST", body=_form({"date": "2031-10-09", "is_workday": "", "name": "测试"})),
    "trading:calendar_confirm": R(write="POST", body=_form(lambda w: {"year": str(timezone.localdate().year + 1)})),
    "trading:today": R(),
    "help:index": R(),
    "help:topic": R(lambda w: {"topic": "bidders"}),
    "help:contacts": R(write="POST", body=_form({"region": COUNTY, "contact_phone": "0827-0000000"})),
    "trading:green_board": R(),
    "trading:green_overview": R(),
    "trading:green_summary": R(write="POST", body=_form({"month": "2026-09"})),
    "trading:green_request": R(_id("project"), "POST", lambda w: {"data": {"reason": "major_investment", "investment_yuan": "1000000", "evidence": pdf_file("批复.pdf")}}),
    "trading:green_detail": R(_id("green_approved")),
    "trading:green_evidence": R(_id("green_approved")),
    "trading:green_decide": R(_id("green_requested"), "POST", _form({"decision": "refuse", "reason": "不符合条件"})),
    "trading:green_assign": R(_id("green_approved"), "POST", _form(lambda w: {"officer": w.users["stH"].pk, "deputy": w.users["stC"].pk})),
    "trading:green_note": R(_id("green_approved"), "POST", _form({"kind": "note", "text": "记录"})),
    "trading:hall": R(_tender("open")),
    "trading:opened_document": R(lambda w: {"pk": w.tenders["opened"].pk, "file_pk": w.ids["opened_file"]}),
    "accounts:login": R(write="POST", body=_form({"username": "nobody", "password": "wrong-password"})),
    "accounts:logout": R(write="POST", body=_form({})),
    "accounts:register": R(write="POST", body=_form(_register_form)),
    "accounts:password_reset_request": R(write="POST", body=_form({"username": "m_unverified"})),
    "accounts:password_reset": R(write="POST", body=_form({"username": "m_unverified", "code": "000000",
                                                           "password": "a-new-password-9"})),
    "accounts:security": R(),
    "accounts:organizations": R(),
    "accounts:verify_organization": R(_id("unverified_org"), "POST", _form({})),
    "ledger:console": R(),
    "ledger:export": R(),
    "records:list": R(),
    "workspace:home": R(),
    "records:verify": R(write="POST", body=lambda w: {"data": {"file": pdf_file("x.pdf", b"not a pdf")}}),
    "records:download": R(_id("receipt")),
    "announcements:list": R(),
    "ranking:index": R(),
    "ranking:detail": R(_this_quarter),
    "ranking:pdf": R(_this_quarter, "POST", _form({})),
    "stats:public": R(), "stats:data": R(), "stats:export": R(), "stats:screen": R(), "stats:internal": R(),
    "stats:internal_data": R(), "stats:internal_export": R(),
    "service:ratings": R(),
    "service:mine": R(),
    "service:rate": R(_id("service_entry", "seq"), "POST", _form({"grade": "satisfied", "comment": "审核及时"})),
    "service:answer": R(_id("rating"), "POST", _form({"answer": "已答复"})),
    "service:overdue": R(),
    "service:close": R(_id("overdue"), "POST", _form({"cause": "专家临时缺席"})),
    "bid-inclusion": R(_id("bid")),
    "award:page": R(_tender("opened")),
    "award:complaints": R(),
    "award:publish": R(_tender("opened"), "POST", _form({"starts": "", "ends": ""})),
    "award:object": R(_tender("opened"), "POST", _form({"grounds": "对中标候选人有异议"})),
    "award:answer": R(lambda w: {"pk": 2**62}, "POST", _form({"answer": "答复"})),
    "award:complain": R(lambda w: {"pk": 2**62}, "POST", _form({"grounds": "投诉"})),
    "award:decide": R(lambda w: {"pk": 2**62}, "POST", _form({"outcome": "dismissed", "decision": "驳回"})),
    "award:confirm": R(_tender("opened"), "POST", _form({"rank": "1"})),
    "award:contract": R(_tender("opened"), "POST", _form({})),
    "award:report": R(_tender("opened"), "POST", _form({})),
    "award:retender": R(_tender("opened"), "POST", _form({})),
    "notices:list": R(),
    "notices:read": R(_id("notice"), "POST", _form({})),
    "announcements:detail": R(_id("announcement")),
    "announcements:pdf": R(_id("announcement")),
    "set_language": R(write="POST", body=_form({"language": "en", "next": "/"})),
    "pki-certificates": R(),
    "ocds:releases": R(), "ocds:releases_jsonl": R(),
    "ocds:record": R(lambda w: {"ocid": ocid(w.tenders["open"].code)}),
    "tender-list": R(write="POST", body=_json(lambda w: {**_api_terms(), "project": w.ids["project"]})),
    "tender-detail": R(_tender("open"), "PATCH", _json({"title": "改过的标题"}), write_kwargs=_tender("draft")),
    "tender-amendments": R(_tender("open"), "POST",
                           _json({"kind": "clarification", "text": "对第三章的澄清", "affects_bids": False})),
    "tender-approve": R(_tender("submitted"), "POST", _json({})),
    "tender-documents": R(_tender("draft"), "POST", lambda w: {"data": {"file": pdf_file("补充.pdf")}}),
    "tender-objections": R(_tender("open"), "POST", _json({"text": "对评标办法有异议"})),
    "tender-return-": R(_tender("submitted"), "POST", _json({"reason": "请补充资格条件"})),
    "tender-submit": R(_tender("draft"), "POST", _json({})),
    "project-list": R(write="POST", body=_json({"name": "矩阵项目", "region": COUNTY, "category": "works"})),
    "objection-answer": R(_id("objection"), "POST", _json({"answer": "已修改资格条件"})),
    "upload-list": R(write="POST", body=_json(lambda w: {"tender": w.tenders["open"].pk, "size": 1000}),
                     probe=uploads_state),
    "upload-detail": R(_id("upload_empty")),
    "upload-finalize": R(_id("upload_full"), "POST", _json(lambda w: {"sha256": w.ids["upload_full_sha256"]})),
    "upload-parts": R(_id("upload_empty"), "PUT",
                      lambda w: {"data": b"\x00" * 100, "content_type": "application/octet-stream"},
                      query="?offset=0", probe=uploads_state),
    "bid-list": R(),
    "bid-detail": R(_id("bid")),
    "bid-envelope": R(_id("bid")),
    "bid-withdraw": R(_id("bid"), "POST", _json({})),
    "key-list": R(write="POST", body=_json(_fresh_signing_pem)),
    "token-list": R(write="POST", body=_json({"name": "新令牌"})),
    "token-detail": R(_id("token"), "DELETE", lambda w: {}),
    # The draw of the opened tender is already drawn (_matrix_draw): a second request is refused (409), the
    # regulator's secret cannot be given twice (409), the reveal waits for the evaluation (302 back with the
    # message), the frozen list is hidden until the reveal (404), and a wrong one-time code is refused (400).
    "evaluation:draw_request": R(lambda w: {"tender_id": _matrix_draw(w).tender_id}, "POST",
                                 _form({"committee_size": "5", "tenderer_representatives": "0",
                                        "req-TOTAL_FORMS": "1", "req-INITIAL_FORMS": "0",
                                        "req-0-specialty": "ENG-BLD", "req-0-count": "5"})),
    "evaluation:draw": R(lambda w: {"pk": _matrix_draw(w).pk}),
    "evaluation:draw_secret": R(lambda w: {"pk": _matrix_draw(w).pk}, "POST", _form({"secret_hex": "ef" * 32})),
    "evaluation:draw_reveal": R(lambda w: {"pk": _matrix_draw(w).pk}, "POST", _form({})),
    "evaluation:draw_verify": R(lambda w: {"pk": _matrix_draw(w).pk}),
    "evaluation:draw_frozen_list": R(lambda w: {"pk": _matrix_draw(w).pk}),
    "evaluation:draw_answer": R(lambda w: {"token": _matrix_draw(w).seats.first().link_token}, "POST",
                                _form({"code": "000000", "accept": "yes"})),
    "api-root": R(),
    "api-schema": R(),
    "api-docs": R(),
    "evaluation:expert_list": R(),
    "evaluation:expert_create": R(write="POST", body=_form(lambda w: _expert_form(w, 901))),
    "evaluation:expert_import": R(write="POST", body=lambda w: {"data": {"file": _pool_csv(w)}}),
    "evaluation:expert_export": R(),
    "evaluation:expert_detail": R(_pool_expert()),
    "evaluation:expert_edit": R(_pool_expert(), "POST", _form(lambda w: _expert_form(w, 0, name="改名"))),
    "evaluation:expert_suspend": R(_pool_expert(), "POST", _form({"until": "2099-12-31", "reason": "矩阵"})),
    "evaluation:expert_reinstate": R(_pool_expert("suspended"), "POST", _form({})),
    "evaluation:expert_retire": R(_pool_expert(), "POST", _form({})),
    "evaluation:venue_list": R(write="POST", body=_form(_venue_form)),
    "evaluation:venue_edit": R(_pool_venue, "POST", _form(_venue_form)),
    # The session of the `evaluating` tender is open (exp sits on its committee); opening one for the `opened`
    # tender is refused while its draw is not complete (302 back with the message).
    "evaluation:session_list": R(),
    "evaluation:session_open": R(lambda w: {"tender_id": w.tenders["opened"].pk}, "POST", _form({})),
    "evaluation:session": R(_id("session", "session_id")),
    "evaluation:clarifications": R(),
    "evaluation:alert_list": R(),
    "evaluation:alert_detail": R(_id("alert")),
    "evaluation:alert_review": R(_id("alert"), "POST", _form({"note": "已核实，系同一集团下属企业。"})),
    "evaluation:clarification_answer": R(_id("clarification_open"), "POST", _form({"text": "工期为 180 日历天。"})),
    "evaluation:clarification_file": R(_id("clarification_answered")),
    "ledger:cosign": R(write="POST", body=_json({"tree_size": 1, "root_hash": "0" * 64})),
    "ledger:sth": R(), "ledger:sth_history": R(), "ledger:inclusion_proof": R(), "ledger:consistency_proof": R(),
}


# ---------------------------------------------------------------- the routes that exist

def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(n for n in (namespace, p.namespace) if n) or None
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name or prefix + str(p.pattern), prefix + str(p.pattern), p.callback


def http_routes():
    """{route name (or pattern when unnamed): callback}; DRF's format-suffix twins share name and view."""
    routes = {}
    for name, pattern, callback in _walk(get_resolver().url_patterns):
        if name in routes:
            same = getattr(routes[name], "cls", routes[name]) is getattr(callback, "cls", callback) and getattr(
                routes[name], "actions", None) == getattr(callback, "actions", None)
            assert same, f"two different views named {name} ({pattern})"
        routes.setdefault(name, callback)
    return routes


def ws_routes():
    from realtime.routing import websocket_urlpatterns

    return [str(p.pattern) for p in websocket_urlpatterns]


def test_every_route_has_a_row():
    table = _parse(MATRIX)
    missing = sorted(name for name in http_routes() if (name, "GET") not in table)
    assert missing == [], "routes with no row in MATRIX (add the route to ROUTES and its answers to MATRIX)"
    unasked = sorted(name for name in http_routes() if name not in ROUTES)
    assert unasked == []
    assert sorted(r for r in ws_routes() if (r, "WS") not in _parse(WS_MATRIX)) == []


def test_every_row_names_a_route():
    names = set(http_routes())
    assert sorted({r for r, _m in _parse(MATRIX)} - names) == []
    assert sorted(set(ROUTES) - names) == []
    assert sorted({r for r, _m in _parse(WS_MATRIX)} - set(ws_routes())) == []
    assert sorted(WS_PATHS) == sorted(ws_routes())
    writes = {(name, spec.write) for name, spec in ROUTES.items() if spec.write}
    assert {(r, m) for r, m in _parse(MATRIX) if m != "GET"} == writes


# ---------------------------------------------------------------- asking

@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker, tmp_path_factory, session_pki_dir):
    """One world for every HTTP row, built once inside a transaction that is rolled back at the end;
    every request runs in a savepoint of its own that is rolled back too, so one role's write never
    changes what the next role sees."""
    from django.test import override_settings

    from accounts.models import Region
    from accounts.regions import ensure_regions
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    media = tmp_path_factory.mktemp("matrix-media")
    with override_settings(PKI_DIR=session_pki_dir, RECORDS_SIGNER_KEY_BITS=2048, MEDIA_ROOT=media,
                           PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), \
            django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_regions(Region)
            if not CalendarYear.objects.exists():
                seed_from_package(CalendarDay, CalendarYear)
            built = build_world()
            built.ids["custodians"] = [str(c.user_id) for c in built.tenders["submitted"].custodians.all()]
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _code(response, moved):
    if moved:
        return "W"
    if response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")):
        return "302L"
    return str(response.status_code)


def ask(world, name, method, role):
    spec = ROUTES[name]
    path = spec.path(name, method, world)
    client = world.client(role)
    with transaction.atomic():
        head, probe = last_seq(), spec.probe(world) if spec.probe else None
        body = spec.body(world) if method != "GET" else {}
        response = getattr(client, method.lower())(path, **body)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # the client closes it at the end (not response.close():
            # outside the client, that would close the database connection under the open transaction)
        moved = last_seq() != head or (spec.probe is not None and spec.probe(world) != probe)
        transaction.set_rollback(True)
    return _code(response, moved)


def _row(name, method, cells):
    return f"{name:<33}{method:<7}" + " ".join(f"{cells[role]:<5}" for role in ROLES).rstrip()


def _agrees(expected, actual):
    if expected == "-":
        return actual in DENIED
    return expected == actual


class TestHttpRoutes:
    """A class, so that the shared world (class-scoped) is rolled back before the websocket tests,
    which need committed data, run."""

    @pytest.mark.parametrize(("name", "method"), list(_parse(MATRIX)), ids=lambda v: v)
    def test_route_answers_every_role_as_the_matrix_says(self, world, db, name, method):
        expected = _parse(MATRIX)[(name, method)]
        actual = {role: ask(world, name, method, role) for role in ROLES}
        wrong = {role: f"expected {expected[role]}, got {actual[role]}" for role in ROLES
                 if not _agrees(expected[role], actual[role])}
        assert wrong == {}, f"{method} {name}; the row it answers: {_row(name, method, actual)}"


# ---------------------------------------------------------------- websockets

WS_PATHS = {
    "ws/ledger/": lambda w: "/ws/ledger/",
    "ws/opening/<int:tender_id>/": lambda w: f"/ws/opening/{w.tenders['open'].pk}/",
    "ws/evaluation/<int:session_id>/": lambda w: f"/ws/evaluation/{w.ids['session']}/",
    "ws/clarifications/": lambda w: "/ws/clarifications/",
    "ws/statistics/": lambda w: "/ws/statistics/",
}
# Routes whose world needs the evaluating tender and its session (an opening and a draw: seconds, so only
# for them).
WS_SESSION_ROUTES = {"ws/evaluation/<int:session_id>/"}


async def _ws_answer(world, path, role):
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from config.asgi import application

    headers = [(b"origin", b"http://127.0.0.1")]
    if role != "anon":
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={world.cookies[role]}".encode()))
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await ws.connect(timeout=10)
    if not connected:
        return "refused"
    first = await ws.receive_output(timeout=10)
    await ws.disconnect()
    if first["type"] == "websocket.close":
        return str(first["code"])
    return "A"


@pytest.fixture
def ws_world(request, transactional_db, platform_pki):
    from accounts.models import Region
    from accounts.regions import ensure_regions
    from trading.calendar import seed_from_package
    from trading.models import CalendarDay, CalendarYear

    with transaction.atomic():  # one commit, not one per row (SQLite syncs the file on each)
        ensure_regions(Region)
        if not CalendarYear.objects.exists():
            seed_from_package(CalendarDay, CalendarYear)
        return build_world(full=False, session=request.node.callspec.params.get("route") in WS_SESSION_ROUTES)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", list(WS_PATHS), ids=lambda v: v)
async def test_websocket_answers_every_role_as_the_matrix_says(ws_world, route):
    from channels.db import database_sync_to_async

    expected = _parse(WS_MATRIX)[(route, "WS")]
    head = await database_sync_to_async(chain.head)()
    actual = {role: await _ws_answer(ws_world, WS_PATHS[route](ws_world), role) for role in ROLES}
    wrong = {role: f"expected {expected[role]}, got {actual[role]}" for role in ROLES if expected[role] != actual[role]}
    assert wrong == {}, f"{route}; the row it answers: {_row(route, 'WS', actual)}"
    assert await database_sync_to_async(chain.head)() == head  # before the deadline, connecting writes nothing
