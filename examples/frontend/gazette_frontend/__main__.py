"""`gazette-frontend`: serve the site (http://127.0.0.1:8001 by default) over the API that
GAZETTE_FRONTEND_API_URL names (http://127.0.0.1:8000 by default, where `make demo` serves)."""

import argparse

import uvicorn

from gazette_frontend.app import api_url


def main() -> None:
    parser = argparse.ArgumentParser(prog="gazette-frontend", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    print(f"Serving the site at http://{args.host}:{args.port}, reading the API at {api_url()}")
    uvicorn.run("gazette_frontend.app:create_app", factory=True, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
