"""Run the assistant: ``python app.py [--host H] [--port P] [--instance PATH] [--knowledge PATH]``.

For production, serve the same factory with gunicorn:
``gunicorn -w 4 -b 0.0.0.0:8000 'app:create_app()'``.
"""
from __future__ import annotations

import argparse
import os
import sys

from assistant import create_app
from indexer import KnowledgeError

__all__ = ["create_app"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the supplier-help assistant.")
    parser.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_PORT", "5000")))
    parser.add_argument("--instance", help="instance folder for data (default ./instance or ASSISTANT_INSTANCE)")
    parser.add_argument("--knowledge", help="knowledge folder (default the shipped knowledge/)")
    args = parser.parse_args(argv)
    config = {"INSTANCE": args.instance} if args.instance else {}
    if args.knowledge:
        config["KNOWLEDGE"] = args.knowledge
    try:
        app = create_app(config)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"not starting: {len(exc.problems)} problem(s) in the knowledge folder", file=sys.stderr)
        return 1
    except ValueError as exc:  # a setting that cannot work, e.g. an unknown BUSINESS_TIMEZONE
        print(f"not starting: {exc}", file=sys.stderr)
        return 1
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
