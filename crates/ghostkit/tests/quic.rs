//! The QUIC core end to end on loopback: handshake with a generated CA, a stream echo,
//! a raised MTU floor, and close codes.

use std::net::SocketAddr;

use ghostkit::quic::{
    Endpoint, EndpointOptions, SocketOptions, TlsOptions, generate_certificate, quinn, stats,
};

fn pair() -> (Endpoint, Endpoint) {
    let transport = ghostkit::quic::TransportOptions {
        // Loopback carries large payloads: start there and never fall back below it.
        initial_mtu: Some(4000),
        min_mtu: Some(4000),
        ..Default::default()
    };
    let pki = generate_certificate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    let local = SocketOptions {
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Default::default()
    };
    let server = Endpoint::bind(EndpointOptions {
        socket: local.clone(),
        server: Some(TlsOptions {
            cert: Some(pki.cert),
            key: Some(pki.key),
            alpn: vec!["t".into()],
            ..Default::default()
        }),
        transport: transport.clone(),
        ..Default::default()
    })
    .unwrap();
    let client = Endpoint::bind(EndpointOptions {
        socket: local,
        client: TlsOptions {
            ca: Some(pki.ca_cert),
            alpn: vec!["t".into()],
            ..Default::default()
        },
        transport,
        ..Default::default()
    })
    .unwrap();
    (server, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_mtu_floor_and_close_code() {
    let (server, client) = pair();
    let address = server.local_addr().unwrap();
    let accept = tokio::spawn({
        let server = server.quinn().clone();
        async move {
            let conn = server.accept().await.unwrap().await.unwrap();
            let (mut send, mut recv) = conn.accept_bi().await.unwrap();
            let data = recv.read_to_end(64 << 20).await.unwrap();
            send.write_all(&(data.len() as u64).to_be_bytes())
                .await
                .unwrap();
            send.finish().unwrap();
            conn.closed().await
        }
    });
    let conn = client
        .connect(address, "localhost", None)
        .unwrap()
        .await
        .unwrap();
    assert_eq!(ghostkit::quic::info(&conn).alpn.as_deref(), Some("t"));
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&vec![7u8; 32 << 20]).await.unwrap();
    send.finish().unwrap();
    let reply = recv.read_to_end(8).await.unwrap();
    assert_eq!(u64::from_be_bytes(reply.try_into().unwrap()), 32 << 20);
    let s = stats(&conn);
    // MTU discovery may raise it towards a loopback peer, never above the loopback ceiling
    // and never below the floor.
    assert!(s.mtu >= 4000, "minMtu holds the MTU on loopback: {}", s.mtu);
    assert!(
        s.mtu <= ghostkit::quic::LOOPBACK_MAX_UDP_PAYLOAD,
        "MTU {}",
        s.mtu
    );
    assert!(s.bytes_sent > 32 << 20);
    conn.close(quinn::VarInt::from_u32(77), b"bye");
    let closed = ghostkit::quic::close_reason(&accept.await.unwrap());
    assert_eq!(
        (closed.kind, closed.error_code, closed.reason.as_str()),
        ("application", Some(77), "bye")
    );
}

#[test]
fn invalid_options_are_typed() {
    let error = ghostkit::quic::CongestionController::parse("vegas").unwrap_err();
    assert_eq!(error.code(), "ERR_QUIC_INVALID_OPTION");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _guard = runtime.enter();
    let error = Endpoint::bind(EndpointOptions {
        server: Some(TlsOptions {
            cert: Some("nope".into()),
            key: Some("nope".into()),
            ..Default::default()
        }),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(error.code(), "ERR_QUIC_INVALID_OPTION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_connection_resumes_with_0rtt() {
    let pki = generate_certificate(&["localhost".into()]).unwrap();
    let local = SocketOptions {
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Default::default()
    };
    let tls = |ca: bool| TlsOptions {
        cert: (!ca).then(|| pki.cert.clone()),
        key: (!ca).then(|| pki.key.clone()),
        ca: ca.then(|| pki.ca_cert.clone()),
        alpn: vec!["t".into()],
        early_data: true,
        ..Default::default()
    };
    let server = Endpoint::bind(EndpointOptions {
        socket: local.clone(),
        server: Some(tls(false)),
        ..Default::default()
    })
    .unwrap();
    let client = Endpoint::bind(EndpointOptions {
        socket: local,
        client: tls(true),
        ..Default::default()
    })
    .unwrap();
    let address = server.local_addr().unwrap();
    let quinn_server = server.quinn().clone();
    tokio::spawn(async move {
        while let Some(incoming) = quinn_server.accept().await {
            tokio::spawn(async move {
                let conn = incoming.await.unwrap();
                while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                    let data = recv.read_to_end(1 << 20).await.unwrap();
                    send.write_all(&data).await.unwrap();
                    send.finish().unwrap();
                }
            });
        }
    });
    let first = client
        .connect(address, "localhost", None)
        .unwrap()
        .await
        .unwrap();
    let (mut send, mut recv) = first.open_bi().await.unwrap();
    send.write_all(b"one").await.unwrap();
    send.finish().unwrap();
    assert_eq!(recv.read_to_end(10).await.unwrap(), b"one");
    first.close(0u32.into(), b"");
    // Options equal to the endpoint's defaults but passed anew: the same cached client
    // configuration (and so the ticket) must be used.
    let same_options = tls(true);
    let (second, accepted) = client
        .connect(address, "localhost", Some(&same_options))
        .unwrap()
        .into_0rtt()
        .unwrap_or_else(|_| panic!("a session ticket should be cached"));
    let (mut send, mut recv) = second.open_bi().await.unwrap();
    send.write_all(b"early").await.unwrap();
    send.finish().unwrap();
    assert!(accepted.await, "the server should accept 0-RTT");
    assert_eq!(recv.read_to_end(10).await.unwrap(), b"early");
}
