from blueprint_index.app import Blueprint


async def test_catalog_is_loaded_once(index):
    assert len(index) == 4


async def test_search_matches_title_and_tags(index):
    hits = await index.search("motion")
    assert [b.slug for b in hits] == ["motion-alarm", "motion-light"]


async def test_search_narrows_by_domain(index):
    hits = await index.search("motion", domain="light")
    assert [b.slug for b in hits] == ["motion-light"]


async def test_every_word_must_match(index):
    assert [b.slug for b in await index.search("water safety")] == ["leak-alert"]
    assert await index.search("water motion") == []


async def test_blank_query_finds_nothing(index):
    assert await index.search("  ") == []


async def test_added_blueprint_is_searchable(empty_index):
    empty_index.add(Blueprint("vacation", "Vacation mode", "scene", ("away",)))
    assert [b.slug for b in await empty_index.search("away")] == ["vacation"]
