"""The semantic layer is generated from the models, and the guard checks queries against it."""

import pytest

from analytics.sql.guard import GuardError, check
from analytics.sql.layer import VIEWS, VIEWS_BY_NAME, describe
from etl.models import Commit, PullRequest


def test_each_view_has_the_models_concrete_fields_but_the_tenant_and_json():
    columns = VIEWS_BY_NAME["v_pull_requests"].column_names
    expected = [f.column for f in PullRequest._meta.concrete_fields if f.name not in ("client", "raw", "labels")]
    assert columns == expected and "client_id" not in columns


def test_every_view_and_column_is_described_and_foreign_keys_are_declared_joins():
    assert all(view.description and all(c.description for c in view.columns) for view in VIEWS)
    assert "v_commits.repository_id = v_repositories.id" in VIEWS_BY_NAME["v_commits"].joins
    reviews = VIEWS_BY_NAME["v_pull_request_reviews"]
    assert "v_pull_request_reviews.pull_request_id = v_pull_requests.id" in reviews.joins
    text = describe(["v_commits"])
    assert "VIEW v_commits" in text and "author_name text -- The commit author's name" in text


def test_a_new_model_field_appears_in_its_view():
    names = {f.column for f in Commit._meta.concrete_fields} - {"client_id", "parents", "files"}
    assert set(VIEWS_BY_NAME["v_commits"].column_names) == names


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_a_query_over_the_views_passes_and_is_regenerated(dialect):
    checked = check(
        "with top as (select author_name, count(*) n from v_commits group by author_name) "
        "select t.author_name, t.n from top t order by t.n desc limit 5 -- most active",
        dialect=dialect,
    )
    assert checked.views == ["v_commits"] and "--" not in checked.sql and "/*" not in checked.sql


def test_an_unknown_column_is_named_with_the_views_columns_for_the_correction_round():
    with pytest.raises(GuardError) as refused:
        check("SELECT author FROM v_commits", dialect="postgres")
    assert "'author'" in str(refused.value) and "author_name" in str(refused.value)


def test_an_unknown_view_lists_the_views():
    with pytest.raises(GuardError, match="v_pull_requests"):
        check("SELECT * FROM pulls", dialect="postgres")
