"""An aioquic echo server and test client, the independent peer of the ghostkit QUIC tests.

Run it with the interpreter and PYTHONPATH that scripts/peers/aioquic.js returns.

  server  aioquic_peer.py server --cert LEAF.pem --key KEY.pem --alpn ghostkit-test
              [--host 127.0.0.1] [--port 0] [--ca CA.pem --require-client-cert]
              [--keylog FILE] [--stdin-eof-exits] [--session-tickets]
      Echoes every bidirectional stream back on itself (the echo ends when the peer's
      side ends), every unidirectional stream back on a new unidirectional stream of its
      own, and every datagram back as a datagram. Prints one JSON object per line:
        {"event": "listening", "host": ..., "port": N}            (once, first)
        {"event": "handshake", "alpn": ..., "client_cert": bool,   (per connection)
         "client_cert_verified": bool, "session_resumed": bool, "early_data_accepted": bool}
        {"event": "stream", "stream_id": N, "kind": "bidi"|"uni", "bytes": N, "sha256": hex}
        {"event": "datagram", "bytes": N, "sha256": hex}
        {"event": "reset", "stream_id": N, "error_code": N, "bytes_before_reset": N}
        {"event": "stop_sending", "stream_id": N, "error_code": N}
        {"event": "closed", "error_code": N, "reason": str, "frame_type": N|null,
         "peer_port": N}   (the client's UDP port at the end: it changes when the client migrates)
      --require-client-cert: aioquic only requests a client certificate through a private
      switch and does not check its issuer, so this program turns the switch on and checks
      that the leaf the client sent is signed by --ca; a connection without one, or with
      one --ca did not sign, is closed with TLS alert certificate_required (0x174) or
      bad_certificate (0x12a).
      --session-tickets: issue session tickets (kept in memory, each usable once) that allow
      0-RTT early data, so a returning client can resume and send early data.
      Runs until killed (or, with --stdin-eof-exits, until its stdin closes, so it never
      outlives the test process that spawned it).

  client  aioquic_peer.py client --port N --ca CA.pem --alpn ghostkit-test
              [--host 127.0.0.1] [--servername localhost] [--cert C --key K]
              [--bidi FILE]... [--uni FILE]... [--datagram FILE]...
              [--close-code N] [--close-reason TEXT] [--timeout SECONDS] [--keylog FILE]
              [--migrate-after BYTES]
      Opens one connection, then at once: one bidirectional stream per --bidi file (sends
      the file, ends its side, reads the echo to its end); one unidirectional stream per
      --uni file (and collects the server's unidirectional streams until as many have
      ended); one datagram per --datagram file (resent until the same bytes come back,
      at most 20 times; aioquic sends packets of at most 1200 bytes, so keep datagrams
      under ~1100 bytes). Then closes with --close-code/--close-reason and prints one line:
        {"event": "result", "alpn": ..., "bidi": [{"sent": D, "received": D}, ...],
         "uni": {"sent": [D...], "received": [D...]},
         "datagrams": {"sent": [D...], "received": [D...]}, "closed_by_peer": null|{...}}
      where D is {"bytes": N, "sha256": hex}. With --abort reset|stop --abort-code N the
      client instead opens one bidirectional stream, sends the first --bidi file without
      ending it, then aborts it with RESET_STREAM(N) (reset) or STOP_SENDING(N) (stop),
      waits a second for the frame to arrive and closes; its result is
      {"event": "result", "aborted": "reset"|"stop", "stream_id": N, "echoed_bytes": N}.
      With --migrate-after, once the echoes have
      brought BYTES bytes the client moves to a new UDP socket (a new local port) and sends
      everything after that from there, as a roaming client would; the result then also
      has "migrated": {"from": port, "to": port}. Errors print {"event": "error", "message": ...}
      and exit 1; the whole run is bounded by --timeout (default 60 s).
"""

import argparse
import asyncio
import hashlib
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aioquic import tls
from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import (
    ConnectionTerminated,
    DatagramFrameReceived,
    HandshakeCompleted,
    StopSendingReceived,
    StreamDataReceived,
    StreamReset,
)

MAX_DATAGRAM_FRAME = 65536
# Large enough that a multi-megabyte echo is not throttled by aioquic's 1 MiB defaults.
FLOW_WINDOW = 16 * 1024 * 1024


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def digest(data):
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def is_unidirectional(stream_id):
    return bool(stream_id & 2)


def configuration(args, is_client):
    config = QuicConfiguration(
        is_client=is_client,
        alpn_protocols=args.alpn,
        max_datagram_frame_size=MAX_DATAGRAM_FRAME,
        max_data=FLOW_WINDOW,
        max_stream_data=FLOW_WINDOW,
        idle_timeout=30.0,
    )
    if args.cert:
        config.load_cert_chain(args.cert, args.key)
    if args.ca:
        config.load_verify_locations(cafile=args.ca)
    if is_client:
        config.server_name = args.servername
        config.verify_mode = ssl.CERT_REQUIRED
    elif args.require_client_cert:
        config.verify_mode = ssl.CERT_REQUIRED
    if args.keylog:
        config.secrets_log_file = open(args.keylog, "a")
    return config


def request_client_certificates():
    """Makes every server-side TLS context of aioquic send a CertificateRequest."""
    original = tls.Context.__init__

    def init(self, *a, **kw):
        original(self, *a, **kw)
        if not self._is_client:
            self._request_client_certificate = True

    tls.Context.__init__ = init


def issued_by(leaf, ca_file):
    from cryptography import x509

    with open(ca_file, "rb") as fp:
        ca = x509.load_pem_x509_certificate(fp.read())
    try:
        leaf.verify_directly_issued_by(ca)
        return True
    except Exception:
        return False


class EchoServerProtocol(QuicConnectionProtocol):
    require_client_cert = False
    ca_file = None

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._received = {}  # stream id -> bytearray (for the final digest)
        self._uni_echo = {}  # peer's uni stream id -> our uni stream id

    def quic_event_received(self, event):
        quic = self._quic
        if isinstance(event, HandshakeCompleted):
            leaf = quic.tls._peer_certificate
            verified = leaf is not None and self.ca_file is not None and issued_by(leaf, self.ca_file)
            emit({
                "event": "handshake",
                "alpn": event.alpn_protocol,
                "client_cert": leaf is not None,
                "client_cert_verified": verified,
                "session_resumed": event.session_resumed,
                "early_data_accepted": event.early_data_accepted,
            })
            if self.require_client_cert and not verified:
                quic.close(error_code=0x100 + (116 if leaf is None else 42), reason_phrase="client certificate required")
                self.transmit()
        elif isinstance(event, StreamDataReceived):
            sid = event.stream_id
            buf = self._received.setdefault(sid, bytearray())
            buf += event.data
            try:
                if is_unidirectional(sid):
                    if sid not in self._uni_echo:
                        self._uni_echo[sid] = quic.get_next_available_stream_id(is_unidirectional=True)
                    quic.send_stream_data(self._uni_echo[sid], event.data, event.end_stream)
                else:
                    quic.send_stream_data(sid, event.data, event.end_stream)
            except RuntimeError as error:  # the peer stopped our echo (STOP_SENDING): keep reading
                emit({"event": "echo_failed", "stream_id": sid, "message": str(error)})
            if event.end_stream:
                emit({"event": "stream", "stream_id": sid, "kind": "uni" if is_unidirectional(sid) else "bidi",
                      **digest(bytes(self._received.pop(sid)))})
                self._uni_echo.pop(sid, None)
            self.transmit()
        elif isinstance(event, StreamReset):
            emit({"event": "reset", "stream_id": event.stream_id, "error_code": event.error_code,
                  "bytes_before_reset": len(self._received.pop(event.stream_id, b""))})
        elif isinstance(event, StopSendingReceived):
            emit({"event": "stop_sending", "stream_id": event.stream_id, "error_code": event.error_code})
        elif isinstance(event, DatagramFrameReceived):
            emit({"event": "datagram", **digest(event.data)})
            quic.send_datagram_frame(event.data)
            self.transmit()
        elif isinstance(event, ConnectionTerminated):
            paths = quic._network_paths
            emit({"event": "closed", "error_code": event.error_code, "reason": event.reason_phrase,
                  "frame_type": event.frame_type, "peer_port": paths[0].addr[1] if paths else None})


async def run_server(args):
    if args.require_client_cert:
        if not args.ca:
            raise SystemExit("--require-client-cert needs --ca")
        request_client_certificates()
        EchoServerProtocol.require_client_cert = True
    EchoServerProtocol.ca_file = args.ca
    tickets = {}
    ticket_options = {}
    if args.session_tickets:
        ticket_options = {
            "session_ticket_handler": lambda ticket: tickets.__setitem__(ticket.ticket, ticket),
            "session_ticket_fetcher": lambda label: tickets.pop(label, None),
        }
    server = await serve(args.host, args.port, configuration=configuration(args, False),
                         create_protocol=EchoServerProtocol, **ticket_options)
    sockname = server._transport.get_extra_info("sockname")
    emit({"event": "listening", "host": sockname[0], "port": sockname[1]})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


class TestClientProtocol(QuicConnectionProtocol):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.bidi = {}  # stream id -> [bytearray, future]
        self.uni_incoming = {}  # server uni stream id -> bytearray
        self.uni_done = []  # digests of ended server uni streams
        self.uni_expected = 0
        self.uni_future = None
        self.datagram_waiters = {}  # payload -> future
        self.datagrams_received = []
        self.alpn = None
        self.closed_by_peer = None
        self.migrate_after = None  # bytes of echo after which to move to a new socket
        self.echoed_bytes = 0
        self.migrated = None

    def quic_event_received(self, event):
        if isinstance(event, HandshakeCompleted):
            self.alpn = event.alpn_protocol
        elif isinstance(event, StreamDataReceived):
            sid = event.stream_id
            self.echoed_bytes += len(event.data)
            if self.migrate_after is not None and self.migrated is None and self.echoed_bytes >= self.migrate_after:
                self.migrated = {}
                asyncio.get_running_loop().create_task(self.migrate())
            if sid in self.bidi:
                entry = self.bidi[sid]
                entry[0] += event.data
                if event.end_stream and not entry[1].done():
                    entry[1].set_result(bytes(entry[0]))
            elif is_unidirectional(sid):
                buf = self.uni_incoming.setdefault(sid, bytearray())
                buf += event.data
                if event.end_stream:
                    self.uni_done.append(digest(bytes(self.uni_incoming.pop(sid))))
                    if self.uni_future and len(self.uni_done) >= self.uni_expected and not self.uni_future.done():
                        self.uni_future.set_result(None)
        elif isinstance(event, StreamReset):
            if event.stream_id in self.bidi and not self.bidi[event.stream_id][1].done():
                self.bidi[event.stream_id][1].set_exception(
                    RuntimeError(f"stream {event.stream_id} reset by peer with code {event.error_code}"))
        elif isinstance(event, DatagramFrameReceived):
            self.datagrams_received.append(digest(event.data))
            waiter = self.datagram_waiters.pop(event.data, None)
            if waiter and not waiter.done():
                waiter.set_result(None)
        elif isinstance(event, ConnectionTerminated):
            self.closed_by_peer = {"error_code": event.error_code, "reason": event.reason_phrase}
            error = RuntimeError(f"connection closed by peer: {event.error_code} {event.reason_phrase!r}")
            for _, future in self.bidi.values():
                if not future.done():
                    future.set_exception(error)
            if self.uni_future and not self.uni_future.done():
                self.uni_future.set_exception(error)
            for future in self.datagram_waiters.values():
                if not future.done():
                    future.set_exception(error)

    async def migrate(self):
        """Rebinds to a new socket: this protocol object receives on both, sends on the new one."""
        old = self._transport
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", 0, 0, 0))
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: self, sock=sock)
        self.migrated = {"from": old.get_extra_info("sockname")[1], "to": sock.getsockname()[1]}
        self.transmit()

    async def echo_bidi(self, data):
        sid = self._quic.get_next_available_stream_id()
        future = asyncio.get_running_loop().create_future()
        self.bidi[sid] = [bytearray(), future]
        self._quic.send_stream_data(sid, data, end_stream=True)
        self.transmit()
        return {"sent": digest(data), "received": digest(await future)}

    async def echo_datagram(self, data):
        loop = asyncio.get_running_loop()
        for _ in range(20):
            future = loop.create_future()
            self.datagram_waiters[data] = future
            self._quic.send_datagram_frame(data)
            self.transmit()
            try:
                await asyncio.wait_for(future, 0.25)
                return
            except asyncio.TimeoutError:
                self.datagram_waiters.pop(data, None)
                continue
        raise RuntimeError(f"datagram of {len(data)} bytes never echoed after 20 sends")


def read_files(paths):
    out = []
    for name in paths or []:
        with open(name, "rb") as fp:
            out.append(fp.read())
    return out


async def run_abort(args, client, data):
    sid = client._quic.get_next_available_stream_id()
    client.bidi[sid] = [bytearray(), asyncio.get_running_loop().create_future()]
    client._quic.send_stream_data(sid, data, end_stream=False)
    client.transmit()
    await asyncio.sleep(0.5)
    if args.abort == "reset":
        client._quic.reset_stream(sid, args.abort_code)
    else:
        client._quic.stop_stream(sid, args.abort_code)
    client.transmit()
    await asyncio.sleep(1.0)
    return {"event": "result", "aborted": args.abort, "stream_id": sid, "echoed_bytes": len(client.bidi[sid][0])}


async def run_client(args):
    bidi = read_files(args.bidi)
    uni = read_files(args.uni)
    datagrams = read_files(args.datagram)
    async with connect(args.host, args.port, configuration=configuration(args, True),
                       create_protocol=TestClientProtocol) as client:
        if args.abort:
            result = await run_abort(args, client, bidi[0])
            client.close(error_code=args.close_code, reason_phrase=args.close_reason)
            emit(result)
            return
        client.migrate_after = args.migrate_after
        client.uni_expected = len(uni)
        client.uni_future = asyncio.get_running_loop().create_future()
        if not uni:
            client.uni_future.set_result(None)
        for data in uni:
            sid = client._quic.get_next_available_stream_id(is_unidirectional=True)
            client._quic.send_stream_data(sid, data, end_stream=True)
        client.transmit()
        bidi_results = await asyncio.gather(*(client.echo_bidi(data) for data in bidi))
        await client.uni_future
        for data in datagrams:
            await client.echo_datagram(data)
        result = {
            "event": "result",
            "alpn": client.alpn,
            "bidi": list(bidi_results),
            "uni": {"sent": [digest(d) for d in uni], "received": client.uni_done},
            "datagrams": {"sent": [digest(d) for d in datagrams], "received": client.datagrams_received},
            "closed_by_peer": client.closed_by_peer,
        }
        if args.migrate_after is not None:
            result["migrated"] = client.migrated
        client.close(error_code=args.close_code, reason_phrase=args.close_reason)
    emit(result)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["server", "client"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--alpn", action="append", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--servername", default="localhost")
    parser.add_argument("--require-client-cert", action="store_true")
    parser.add_argument("--keylog")
    parser.add_argument("--stdin-eof-exits", action="store_true")
    parser.add_argument("--session-tickets", action="store_true")
    parser.add_argument("--bidi", action="append")
    parser.add_argument("--uni", action="append")
    parser.add_argument("--datagram", action="append")
    parser.add_argument("--close-code", type=int, default=0)
    parser.add_argument("--close-reason", default="")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--migrate-after", type=int)
    parser.add_argument("--abort", choices=["reset", "stop"])
    parser.add_argument("--abort-code", type=int, default=0)
    args = parser.parse_args()

    if args.mode == "server" and not (args.cert and args.key):
        parser.error("server needs --cert and --key")
    if args.mode == "client" and not args.port:
        parser.error("client needs --port")

    if args.stdin_eof_exits:
        def watch_stdin():
            while sys.stdin.buffer.read(65536):
                pass
            os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()

    try:
        if args.mode == "server":
            asyncio.run(run_server(args))
        else:
            asyncio.run(asyncio.wait_for(run_client(args), args.timeout))
    except Exception as error:  # reported as JSON for the test, then a failing exit code
        emit({"event": "error", "message": f"{type(error).__name__}: {error}"})
        sys.exit(1)


if __name__ == "__main__":
    main()
