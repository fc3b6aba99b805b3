//! Throttling and faults

use super::*;

#[tokio::test]
async fn throttle_answers_429_with_and_without_retry_after() {
    let t = start_with(EmulatorConfig {
        throttle: ThrottleConfig {
            every: 2,
            retry_after_secs: Some(1),
            omit_retry_after_every_other: true,
        },
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let get = || t.graph(Method::GET, "/applications?$select=id", &token, None);
    assert_eq!(get().await.status, 200);
    let r = get().await;
    assert_graph_error(&r, 429, "TooManyRequests");
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(get().await.status, 200);
    let r = get().await;
    assert_eq!(r.status, 429);
    assert!(!r.headers.contains_key("retry-after"));
    assert_eq!(t.emu.snapshot().requests.throttled, 2);
}

#[tokio::test]
async fn fault_after_processing_emulates_a_lost_response() {
    let t = start().await;
    let token = t.admin().await;
    t.emu.update(|c| {
        c.faults.push(Fault {
            method: "POST".into(),
            path_contains: "/v1.0/applications".into(),
            status: 504,
            times: 1,
            after_processing: true,
        });
    });
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "lost"})),
        )
        .await;
    assert_graph_error(&r, 504, "GatewayTimeout");
    let snap = t.emu.snapshot();
    assert_eq!(
        snap.applications
            .iter()
            .filter(|a| a.display_name == "lost")
            .count(),
        1
    );
    assert_eq!(snap.requests.faults_injected, 1);
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "next"})),
        )
        .await;
    assert_eq!(r.status, 201, "one-shot");
}

#[tokio::test]
async fn latency_delays_every_service_answer() {
    let t = start_with(EmulatorConfig {
        latency_millis: 150,
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let started = std::time::Instant::now();
    let r = t
        .graph(Method::GET, "/applications?$select=id", &token, None)
        .await;
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(150),
        "a Graph answer came before the configured latency: {:?}",
        started.elapsed()
    );
    let too_slow = EmulatorConfig {
        latency_millis: 10_001,
        ..EmulatorConfig::default()
    };
    assert!(too_slow.validate().is_err());
}
