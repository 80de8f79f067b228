"""`python -m civicpool_gateway`: serve the API with uvicorn."""

from __future__ import annotations

import uvicorn
from civicpool_common import observability

from civicpool_gateway.config import GatewaySettings
from civicpool_gateway.main import create_app


def main() -> None:
    settings = GatewaySettings()
    observability.configure_logging("gateway")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=None,  # uvicorn's own lines go through the JSON handler too
        access_log=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
