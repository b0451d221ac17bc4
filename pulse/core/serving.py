"""The foreground loop shared by Pulse's own small servers (the vector store's and the embedding
server): serve until Ctrl-C, or a SIGTERM turned into one, then close the listening socket, so a
stopped server leaves no socket file or bound port behind."""


def serve_until_stopped(server) -> None:
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
