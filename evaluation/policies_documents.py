"""The committee reads the decrypted bids it evaluates (docs/architecture.md §5: opened bids are readable only by the
committee and staff; 招标投标法 art. 37, 40: the committee reviews and compares the bids).

Trading serves the documents (`opening.read_documents`, each read logged by
trading.actions.opening.read_opened_file) and may not import evaluation, so this permission is admitted
there through `trading.policies.admit_document_readers` (imported by EvaluationConfig.ready).
"""

from accounts.permissions import policy
from trading.policies import admit_document_readers

from .models_session import EvaluationSession, Member

Stage = EvaluationSession.Stage
# From the qualification review to the ranking: the stages in which the committee examines the bids.
# Not before (check-in, commitments, leader election) nor once the report is being signed.
READING_STAGES = (Stage.QUALIFICATION, Stage.SCORING, Stage.REVIEW, Stage.RANKING)


@policy("session.read_documents", read_only=True)
def committee_reads_documents(user, tender):
    """An active (not removed), checked-in member of the tender's session, while it is in a reading stage."""
    if tender is None or not user.is_authenticated:
        return False
    return Member.objects.filter(
        user=user, session__tender=tender, session__stage__in=READING_STAGES,
        removed_at__isnull=True, checked_in_at__isnull=False,
    ).exists()


admit_document_readers("session.read_documents")
