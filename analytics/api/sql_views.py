"""`/api/v1/ai/sql/`: ask the SQL agent; list, add and delete question/SQL pairs. The tenant and
the asker are the signed-in user; adding or deleting a pair is an admin's."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api import sql_serializers as s
from analytics.api.views import validated
from analytics.sql.selectors import sql_pair_list
from analytics.sql.services import sql_ask, sql_pair_create, sql_pair_delete, sql_pair_from_answer
from pulse.core.api.views import TenantAPIMixin


class SQLAskView(TenantAPIMixin, APIView):
    """Answer a counting, ranking or trend question with one checked, tenant-scoped query."""

    members_may_write = True  # asking changes no setting

    @extend_schema(request=s.SQLAskSerializer, responses=s.SQLAnswerSerializer)
    def post(self, request):
        data = validated(s.SQLAskSerializer, request.data)
        return Response(s.SQLAnswerSerializer(sql_ask(client=self.client, user=request.user, **data)).data)


class SQLPairListView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.SQLPairSerializer(many=True))
    def get(self, request):
        return Response(s.SQLPairSerializer(sql_pair_list(client=self.client), many=True).data)

    @extend_schema(request=s.SQLPairInputSerializer, responses={201: s.SQLPairSerializer})
    def post(self, request):
        data = validated(s.SQLPairInputSerializer, request.data)
        if data.get("interaction_id") is not None:
            pair = sql_pair_from_answer(client=self.client, user=request.user, interaction_id=data["interaction_id"])
        else:
            pair = sql_pair_create(client=self.client, user=request.user, question=data["question"], sql=data["sql"])
        return Response(s.SQLPairSerializer(pair).data, status=status.HTTP_201_CREATED)


class SQLPairDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, pair_id: int):
        sql_pair_delete(client=self.client, pair_id=pair_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
