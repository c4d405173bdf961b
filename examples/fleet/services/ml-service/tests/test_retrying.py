import hashlib

import pytest
from tenacity import wait_none

from ml_service.retrying import ObjectStore, StorageTimeout, dataset_manifest, download_dataset, upload_checkpoint


@pytest.fixture(autouse=True)
def no_backoff():
    saved = download_dataset.retry.wait
    download_dataset.retry.wait = wait_none()
    yield
    download_dataset.retry.wait = saved


def test_manifest_records_download_attempts():
    store = ObjectStore({"datasets/occupancy.parquet": b"rows"}, timeouts=3)
    manifest = dataset_manifest(store, "datasets/occupancy.parquet")
    assert manifest == {
        "key": "datasets/occupancy.parquet",
        "sha256": hashlib.sha256(b"rows").hexdigest()[:12],
        "download_attempts": 4,
    }


def test_checkpoint_upload_is_audited():
    store = ObjectStore(timeouts=2)
    audit = []
    attempts = upload_checkpoint(store, "ckpt/epoch-3.pt", b"weights", audit, wait=wait_none())
    assert attempts == 3
    assert store.objects == {"ckpt/epoch-3.pt": b"weights"}
    assert audit == ["attempt 1 failed, retrying in 0.0s", "attempt 2 failed, retrying in 0.0s"]


def test_checkpoint_upload_gives_up_with_the_storage_error():
    store = ObjectStore(timeouts=10)
    audit = []
    with pytest.raises(StorageTimeout, match="request 3"):
        upload_checkpoint(store, "ckpt/epoch-4.pt", b"weights", audit, wait=wait_none())
    assert len(audit) == 2
