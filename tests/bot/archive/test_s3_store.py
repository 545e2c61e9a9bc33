"""The S3 store against a real S3 protocol peer: moto's server on loopback, over HTTP (the
bot's boto3 client signs and sends real requests; nothing is patched in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from bot.archive import store_for
from bot.archive.files import S3FileStore, StoreError, Upload, sweep_orphans
from bot.archive.items import Doer, Submission, add_item, withdraw_item
from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.server import free_port
from storage.db import Database
from tests.utils.archive import make_pdf

BUCKET = "cohortbot-archive"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    yield url
    server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_url: str) -> Settings:
    client = boto3.client(
        "s3",
        endpoint_url=s3_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="eu-north-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    return settings.model_copy(
        update={
            "archive_s3_bucket": BUCKET,
            "archive_s3_url": s3_url,
            "archive_s3_access_key": "test",
            "archive_s3_secret_key": "test",
        }
    )


def _objects(settings: Settings) -> list[str]:
    store = store_for(settings)
    assert isinstance(store, S3FileStore)
    answer = store.client.list_objects_v2(Bucket=BUCKET)
    return sorted(o["Key"] for o in answer.get("Contents", []))


async def test_files_round_trip_through_the_bucket(s3_settings: Settings) -> None:
    store = store_for(s3_settings)
    assert isinstance(store, S3FileStore)
    key = await store.put(b"%PDF-1.4 hei", suffix="pdf")
    assert await store.exists(key) and await store.get(key) == b"%PDF-1.4 hei"
    assert _objects(s3_settings) == [f"archive/{key}"]
    with pytest.raises(StoreError):
        await store.get("../../etc/passwd")
    # Sweeping with no grace takes what no row refers to, and keeps what one does.
    other = await store.put(b"x", suffix="bin")
    assert await sweep_orphans(store, {key}, grace_seconds=-60) == 1
    assert not await store.exists(other) and await store.exists(key)
    await store.delete(key)
    with pytest.raises(StoreError):
        await store.get(key)
    assert _objects(s3_settings) == []


async def test_an_item_with_a_file_lives_in_the_bucket_until_withdrawn(
    db: Database, s3_settings: Settings, clock: FrozenClock
) -> None:
    store = store_for(s3_settings)
    pdf = make_pdf(["Ledelse i sykehjem"])
    item = await add_item(
        db,
        store,
        s3_settings,
        submission=Submission(
            title="Forelesning", summary="Lysark", visibility="all", upload=Upload("f.pdf", pdf)
        ),
        doer=Doer(None, True, "cli"),
        now=clock.now(),
    )
    assert item.file_key and _objects(s3_settings) == [f"archive/{item.file_key}"]
    assert await store.get(item.file_key) == pdf
    assert item.id is not None
    await withdraw_item(db, store, item_id=item.id, doer=Doer(None, True, "cli"))
    assert _objects(s3_settings) == []
