import logging
import threading

import httpx
from fastapi import APIRouter, BackgroundTasks, HTTPException
from fastapi.responses import JSONResponse

from app.errors import RateLimited
from app.tasks.worker import nightly, resync

router = APIRouter()
logger = logging.getLogger(__name__)


@router.get("/items/{item_id}")
def get_item(item_id: str, db):
    try:
        return db[item_id]
    except KeyError:  # label: http_4xx/none
        raise HTTPException(status_code=404, detail="no such item")


@router.post("/items")
def create_item(payload, db):
    try:
        return db.insert(payload)
    except Exception as exc:  # label: http_5xx/exception
        logger.warning("insert failed: %s", exc)
        raise HTTPException(status_code=500, detail="could not create") from exc


@router.get("/upstream")
def upstream(client):
    try:
        return client.get("/x").json()
    except httpx.HTTPStatusError as exc:  # label: http_5xx/exception
        raise HTTPException(status_code=502, detail="upstream failed") from exc


@router.get("/report")
def report(builder):
    try:
        return builder.build()
    except Exception:  # label: http_5xx/none
        return JSONResponse({"detail": "failed"}, status_code=500)


@router.get("/search")
def search(engine, query):
    try:
        return engine.search(query)
    except TimeoutError as exc:  # label: http_4xx/none
        raise RateLimited("try again later") from exc


@router.get("/any")
def anything(engine):
    try:
        return engine.run()
    except Exception:  # label: http_4xx/none
        raise HTTPException(status_code=400, detail="bad request")


@router.post("/sync")
def sync(tasks: BackgroundTasks):
    tasks.add_task(resync)  # label: start/captured
    threading.Thread(target=nightly).start()  # label: start/captured
    threading.Thread(target=_local_job).start()  # label: start/uncaptured


def _local_job():
    pass
