//! The TLS crypto provider: rustls with *ring*, installed once per process.
//!
//! reqwest is built with `rustls-no-provider`: its `rustls` feature would
//! bring aws-lc-rs, whose build script compiles the AWS-LC C library for
//! every target of a release, the longest step of a clean build (README,
//! "Release build and TLS"). With
//! no provider of its own, reqwest takes the process default and panics when
//! a client is built without one, so [`install_provider`] runs before any
//! client is built: first thing in `main`.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

/// Makes *ring* the process's rustls provider. Idempotent: a second call, or
/// a provider that a host program installed first, leaves it as it is.
pub fn install_provider() {
    if CryptoProvider::get_default().is_none() {
        // An `Err` means another thread installed one in between: the goal.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The provider in force (after [`install_provider`]).
pub fn provider() -> Option<Arc<CryptoProvider>> {
    CryptoProvider::get_default().cloned()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    /// A local HTTPS server (rustls, *ring*) with a self-signed certificate
    /// for `localhost`: answers each request with `200 hello over tls`.
    /// Returns its port and the certificate.
    pub(crate) async fn https_server() -> (u16, CertificateDer<'static>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let cert_der = cert.der().clone();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key_der)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the
                    // handshake here: nothing to answer.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = "hello over tls";
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        (port, cert_der)
    }

    #[test]
    fn the_installed_provider_is_ring() {
        install_provider();
        install_provider(); // idempotent
        let installed = provider().expect("a provider after install_provider");
        let ring = rustls::crypto::ring::default_provider();
        let names = |p: &CryptoProvider| -> Vec<String> {
            p.cipher_suites
                .iter()
                .map(|s| format!("{:?}", s.suite()))
                .collect()
        };
        assert_eq!(names(&installed), names(&ring));
        assert_eq!(installed.kx_groups.len(), ring.kx_groups.len());
    }
}
