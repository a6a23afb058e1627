# Loaded by every Python process of the peers benchmark (it is on their PYTHONPATH): names under
# freshdesk.com resolve to the Freshdesk fake's TLS front on loopback, without touching /etc/hosts, and
# certifi's bundle is the bench's generated CA. REQUESTS_CA_BUNDLE alone does not reach airbyte-cdk, which
# sends prepared requests with Session.send (requests reads that variable only in Session.request), so
# requests falls back to certifi.where(); replacing it here, before requests is imported, covers both peers.
import os
import socket

_front_port = int(os.environ["TENANT_SYNC_BENCH_FRESHDESK_TLS_PORT"])
_getaddrinfo = socket.getaddrinfo


def _is_freshdesk(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and (host == "freshdesk.com" or host.endswith(".freshdesk.com"))


def getaddrinfo(host, port, *args, **kwargs):
    # Any port the client asks for (443) is the front's: the TLS handshake still names the real host.
    if _is_freshdesk(host):
        return _getaddrinfo("127.0.0.1", _front_port, *args, **kwargs)
    return _getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = getaddrinfo

_ca_file = os.environ.get("TENANT_SYNC_BENCH_CA_FILE")
if _ca_file:
    import certifi

    certifi.where = lambda: _ca_file
