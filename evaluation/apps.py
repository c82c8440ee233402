from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from . import (  # noqa: F401
            policies,
            policies_alerts,
            policies_clarify,
            policies_documents,  # the committee reads decrypted bids (admitted by trading.policies)
            policies_pool,
            policies_session,
            terms,  # registers the price rule's check with trading.evaluation_terms
        )
