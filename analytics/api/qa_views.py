"""`/api/v1/ai/qa/`: ask, history, feedback. The tenant and the asker are the signed-in user."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api import qa_serializers as s
from analytics.api.views import validated
from analytics.qa.services import qa_ask, qa_feedback, qa_history, qa_interaction_get
from pulse.core.api.views import TenantAPIMixin


class QAAskView(TenantAPIMixin, APIView):
    """Answer a question from the tenant's data, with numbered sources (the design notes' endpoint)."""

    members_may_write = True  # asking changes no setting

    @extend_schema(request=s.QAAskSerializer, responses=s.QAAnswerSerializer)
    def post(self, request):
        data = validated(s.QAAskSerializer, request.data)
        answer = qa_ask(client=self.client, user=request.user, question=data["question"], context=data["context"])
        return Response(s.QAAnswerSerializer(answer).data)


class QAHistoryView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.QAHistorySerializer(many=True))
    def get(self, request):
        return Response(s.QAHistorySerializer(qa_history(client=self.client, user=request.user), many=True).data)


class QAFeedbackView(TenantAPIMixin, APIView):
    members_may_write = True  # feedback on one's own answer

    @extend_schema(request=s.QAFeedbackSerializer, responses={204: None})
    def post(self, request, interaction_id: int):
        interaction = qa_interaction_get(client=self.client, user=request.user, interaction_id=interaction_id)
        data = validated(s.QAFeedbackSerializer, request.data)
        qa_feedback(interaction=interaction, helpful=data["helpful"])
        return Response(status=status.HTTP_204_NO_CONTENT)
