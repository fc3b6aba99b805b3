//! The binary's TLS: rustls with the *ring* provider that `main` installs.
//!
//! The emulator speaks plain http on loopback, so no other test makes a TLS
//! handshake. Here the binary is pointed at a local TLS listener that reads
//! its ClientHello. aws-lc-rs (reqwest's own `rustls` feature) would offer
//! the post-quantum X25519MLKEM768 group; ring does not. A ClientHello
//! without it is the binary's own provider.

use std::sync::{Arc, Mutex};

use rustls::NamedGroup;

use crate::support::*;

#[test]
fn the_binary_does_tls_with_the_ring_provider_that_main_installs() {
    let h = Harness::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let hellos: Arc<Mutex<Vec<Vec<NamedGroup>>>> = Arc::default();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = hellos.clone();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor =
                tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
            // The ClientHello is all this listener wants; dropping the
            // connection then fails the client's request.
            if let Ok(start) = acceptor.await {
                let groups = start.client_hello().named_groups().unwrap_or(&[]).to_vec();
                seen.lock().unwrap().push(groups);
            }
        }
    });

    let url = format!("https://localhost:{port}");
    let run = h.run(
        h.cmd()
            .env("AAD_SETUP_LOGIN_URL", &url)
            .env("AAD_SETUP_GRAPH_URL", &url)
            .env("AAD_SETUP_PLATFORM_URL", &url)
            .args(["status", "--output", "json"]),
    );
    assert_ne!(run.code, 0, "no service answered");
    assert_ne!(run.code, 101, "a panic: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    let hellos = hellos.lock().unwrap();
    assert!(!hellos.is_empty(), "the binary made a TLS handshake");
    for groups in hellos.iter() {
        assert!(groups.contains(&NamedGroup::X25519), "{groups:?}");
        assert!(
            !groups.contains(&NamedGroup::X25519MLKEM768),
            "ring offers no ML-KEM; aws-lc-rs does: {groups:?}"
        );
    }
}
