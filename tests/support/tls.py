"""One TLS handshake over 127.0.0.1 between two contexts, for certificates the tests make."""

from __future__ import annotations

import socket
import ssl
import threading


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str) -> tuple[str, str]:
    """Connects ``client`` to a one-shot server on 127.0.0.1 that uses ``server``; the client checks
    the certificate for ``server_hostname``.  Returns the TLS version and cipher the client got,
    or raises the client's ssl.SSLError (SSLCertVerificationError when it refused the certificate)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)

        def serve() -> None:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                try:
                    with server.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b"ok")
                except (ssl.SSLError, OSError):
                    pass  # the client refused the certificate: its error is the one that counts

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname()[:2], timeout=10) as raw:
                with client.wrap_socket(raw, server_hostname=server_hostname) as tls:
                    assert tls.recv(2) == b"ok"
                    cipher = tls.cipher()
                    version = tls.version()
                    assert cipher is not None and version is not None
                    return version, cipher[0]
        finally:
            thread.join(10)
