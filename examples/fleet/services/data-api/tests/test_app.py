import pytest

from conftest import REPOSITORY, ROWS


async def test_first_page_has_a_cursor(repository):
    page = await repository.page(limit=3)
    assert [r.reading_id for r in page.items] == [1, 2, 3]
    assert page.next_cursor is not None


async def test_walking_all_pages_returns_every_row(repository):
    seen, cursor = [], None
    while True:
        page = await repository.page(limit=3, cursor=cursor)
        seen += [r.reading_id for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [r.reading_id for r in ROWS]


async def test_filter_by_device(repository):
    page = await repository.page(device_id="meter-2", limit=10)
    assert [r.reading_id for r in page.items] == [2, 4, 6]
    assert page.next_cursor is None


async def test_garbage_cursor_is_rejected(repository):
    with pytest.raises(ValueError, match="invalid cursor"):
        await repository.page(cursor="bm90LWpzb24=")


class TestSeeding:
    async def test_each_test_starts_from_the_seed(self, repository):
        await repository.truncate()
        assert (await repository.page()).items == []

    def test_seed_is_present_for_sync_tests(self):
        assert len(REPOSITORY._rows) == len(ROWS)
