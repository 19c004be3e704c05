#!/usr/bin/env python3
"""llama-cpp-python's OpenAI-compatible server on 127.0.0.1, on a port the OS picks.

Usage: llama-cpp-server.py <model.gguf> [--api-key KEY] [--chat-format NAME] [--n-ctx N]
Prints the chosen port on the first line of stdout, then serves until killed.
"""
import argparse
import socket
import sys

import uvicorn
from llama_cpp.server.app import create_app
from llama_cpp.server.settings import ModelSettings, ServerSettings


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--api-key", default=None)
    p.add_argument("--chat-format", default=None)
    p.add_argument("--n-ctx", type=int, default=512)
    p.add_argument("--alias", default=None)
    a = p.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    app = create_app(
        server_settings=ServerSettings(host="127.0.0.1", port=port, api_key=a.api_key),
        model_settings=[
            ModelSettings(
                model=a.model,
                model_alias=a.alias,
                n_ctx=a.n_ctx,
                n_threads=1,
                n_threads_batch=1,
                chat_format=a.chat_format,
                verbose=False,
            )
        ],
    )
    print(port, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
