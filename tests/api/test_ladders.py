"""GET /api/v1/ladders/: the current ladders a person may see, with stages, categories and rules."""
import pytest

from tests.api.conftest import results

pytestmark = pytest.mark.django_db


def slugs(response) -> set[str]:
    assert response.status_code == 200
    return {item["slug"] for item in results(response)}


def test_staff_see_their_organisations_ladders_and_not_another_organisations(api):
    assert slugs(api("bexley-practitioner").get("/api/v1/ladders/")) == {"bexley-internal"}
    assert "bexley-internal" not in slugs(api("stoke-crm").get("/api/v1/ladders/"))


def test_staff_of_a_partnership_member_see_the_partnerships_ladders(api):
    assert "wiltshire-multi-agency" in slugs(api("puddleducks-practitioner").get("/api/v1/ladders/"))
    assert "multi-agency-resolution-panel" in slugs(api("bristol-social-worker").get("/api/v1/ladders/"))


def test_a_board_member_sees_the_partnerships_ladders_only(api):
    assert slugs(api("wiltshire-board-member").get("/api/v1/ladders/")) == {"wiltshire-multi-agency"}


def test_a_ladder_lists_its_stages_categories_and_risk_level_rules(api):
    ladder = next(item for item in results(api("bexley-practitioner").get("/api/v1/ladders/"))
                  if item["slug"] == "bexley-internal")
    assert ladder["organisation"] == "bexley" and ladder["partnership"] is None and not ladder["multi_agency"]
    assert [stage["role"] for stage in ladder["stages"]] == [
        "team_manager", "service_manager", "head_of_service", "deputy_director", "director"]
    assert ladder["stages"][4] | {"final": True, "exceptional": True} == ladder["stages"][4]
    assert {"slug", "label"} <= set(ladder["categories"][0])
    entry = {rule["risk_level"]: rule["entry_stage"] for rule in ladder["risk_levels"]}
    assert entry == {"standard": 0, "significant_harm": 1, "imminent": 4}
    assert ladder["can_raise"] is True
    # Bexley 4.5: only the PSW skips, to the Deputy Director or the Director (CONTRACT 8.2).
    assert (ladder["skip_allowed"], ladder["skip_by"], ladder["skip_to_stages"]) == (True, "psw", [3, 4])
    panel = next(category for category in ladder["categories"] if category["slug"] == "decision-making-panel")
    assert panel["route"] == [1, 3, 4]


def test_a_multi_agency_ladder_names_tiers_and_its_partnership(api):
    ladder = next(item for item in results(api("wiltshire-social-worker").get("/api/v1/ladders/"))
                  if item["slug"] == "wiltshire-multi-agency")
    assert ladder["partnership"] == "wiltshire-partnership" and ladder["multi_agency"] is True
    assert [stage["role"] for stage in ladder["stages"]] == [
        "practitioner", "manager", "senior_manager", "senior_leader",
    ]


def test_a_ladder_only_some_roles_raise_on_says_who_may(api):
    ladders = {item["slug"]: item for item in results(api("stoke-social-worker").get("/api/v1/ladders/"))}
    assert ladders["stoke-crm"]["can_raise"] is False
    ladders = {item["slug"]: item for item in results(api("stoke-crm").get("/api/v1/ladders/"))}
    assert ladders["stoke-crm"]["can_raise"] is True


def test_only_current_versions_are_listed(api, ladders):
    from policies.models import Ladder

    old = Ladder.objects.create(slug="bexley-internal", version=99, is_current=False, name="Old Bexley",
                                organisation=ladders["bexley-internal"].organisation)
    listed = results(api("bexley-practitioner").get("/api/v1/ladders/"))
    assert old.version not in [item["version"] for item in listed]


def test_listing_ladders_takes_the_same_number_of_queries_however_many_there_are(api, ladders):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from policies.models import Category, RiskRule, Stage

    client = api("bexley-practitioner")

    def queries() -> tuple[int, int]:
        client.get("/api/v1/ladders/")  # warm the per-process caches (permissions, content types)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/ladders/")
        return response.json()["count"], len(captured)

    count_one, queries_one = queries()
    bexley = ladders["bexley-internal"].organisation
    for n in range(5):
        ladder = type(ladders["bexley-internal"]).objects.create(
            slug=f"extra-{n}", name=f"Extra {n}", organisation=bexley,
        )
        Stage.objects.create(ladder=ladder, index=0, name="Team Manager", role="team_manager", working_days=1)
        Category.objects.create(ladder=ladder, slug="other", label="Other")
        RiskRule.objects.create(ladder=ladder, risk_level="standard")
    count_six, queries_six = queries()
    assert (count_one, count_six) == (1, 6)
    assert queries_six == queries_one
