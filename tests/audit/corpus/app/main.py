import sentry_sdk
from fastapi import FastAPI
from fastapi.responses import JSONResponse

import autocapture.asgi
from app.errors import DomainError, NotPermitted, RateLimited

sentry_sdk.init(dsn="https://public@example.invalid/1", traces_sample_rate=0.1)

app = FastAPI()
app.add_exception_handler(NotPermitted, lambda request, exc: JSONResponse({}, status_code=403))
autocapture.asgi.instrument(app)


@app.exception_handler(RateLimited)
async def rate_limited(request, exc):
    return JSONResponse({"detail": "slow down"}, status_code=429)


@app.exception_handler(DomainError)
async def domain_error(request, exc):
    return JSONResponse({"detail": str(exc)}, status_code=500)
