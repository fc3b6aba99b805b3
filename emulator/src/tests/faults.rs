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
            ..Fault::default()
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

fn fault(method: &str, pattern: &str, kind: FaultKind) -> Fault {
    Fault {
        method: method.into(),
        path_pattern: pattern.into(),
        kind,
        ..Fault::default()
    }
}

fn app_count(t: &T, name: &str) -> usize {
    t.emu
        .snapshot()
        .applications
        .iter()
        .filter(|a| a.display_name == name)
        .count()
}

#[tokio::test]
async fn every_fault_kind_fails_as_the_network_would() {
    let t = start().await;
    let token = t.admin().await;
    let url = format!("{}/v1.0/applications", t.emu.graph_url());
    let post = |name: &str| {
        t.http
            .post(url.clone())
            .bearer_auth(&token)
            .json(&json!({"displayName": name}))
            .send()
    };
    let pattern = "/graph/v1.0/applications";

    // A dropped connection, before the work: nothing made, no complete answer.
    t.emu
        .update(|c| c.faults.push(fault("POST", pattern, FaultKind::Drop)));
    let outcome = match post("dropped").await {
        Ok(r) => r.text().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err(), "the answer must break off");
    assert_eq!(app_count(&t, "dropped"), 0);

    // Dropped after the work: made, answer lost.
    t.emu.update(|c| {
        c.faults.push(Fault {
            after_processing: true,
            ..fault("POST", pattern, FaultKind::Drop)
        });
    });
    let outcome = match post("lost").await {
        Ok(r) => r.text().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err());
    assert_eq!(app_count(&t, "lost"), 1);

    // A 200 that is not JSON.
    t.emu
        .update(|c| c.faults.push(fault("POST", pattern, FaultKind::NonJson)));
    let r = read(post("html").await.unwrap()).await;
    assert_eq!(r.status, 200);
    assert!(r.text.starts_with("<html>") && r.body.is_null());
    assert_eq!(app_count(&t, "html"), 0);

    // A truncated JSON 200: the work was done, the answer is cut off.
    t.emu
        .update(|c| c.faults.push(fault("POST", pattern, FaultKind::Truncated)));
    let r = read(post("cut").await.unwrap()).await;
    assert_eq!(r.status, 201);
    assert!(r.body.is_null() && r.text.starts_with('{'), "{}", r.text);
    assert_eq!(app_count(&t, "cut"), 1);

    // A slow answer is a normal answer, later.
    t.emu.update(|c| {
        c.faults.push(Fault {
            millis: 50,
            ..fault("POST", pattern, FaultKind::Slow)
        });
    });
    let started = std::time::Instant::now();
    assert_eq!(post("slow").await.unwrap().status(), 201);
    assert!(started.elapsed() >= std::time::Duration::from_millis(50));

    // 429 with Retry-After, and `skip` lets the first match through.
    t.emu.update(|c| {
        c.faults.push(Fault {
            status: 429,
            retry_after_secs: Some(7),
            skip: 1,
            ..fault("POST", pattern, FaultKind::Status)
        });
    });
    assert_eq!(post("first").await.unwrap().status(), 201);
    let r = read(post("second").await.unwrap()).await;
    assert_graph_error(&r, 429, "TooManyRequests");
    assert_eq!(r.headers["retry-after"], "7");
    assert_eq!(app_count(&t, "second"), 0);
    assert_eq!(t.emu.snapshot().requests.faults_injected, 5);
}

#[tokio::test]
async fn a_pattern_matches_whole_segments_only() {
    let f = fault(
        "POST",
        "/graph/v1.0/applications/*/addPassword",
        FaultKind::Drop,
    );
    assert!(f.matches("post", "/graph/v1.0/applications/abc/addPassword"));
    assert!(!f.matches("POST", "/graph/v1.0/applications/abc/removePassword"));
    assert!(!f.matches("POST", "/graph/v1.0/applications"));
    assert!(!f.matches("GET", "/graph/v1.0/applications/abc/addPassword"));
}

#[tokio::test]
async fn a_held_request_waits_for_the_test_then_is_done_or_dropped() {
    let t = start().await;
    let token = t.admin().await;
    t.emu.update(|c| {
        c.faults.push(Fault {
            times: 2,
            ..fault("POST", "/graph/v1.0/applications", FaultKind::Hold)
        });
    });
    let url = format!("{}/v1.0/applications", t.emu.graph_url());
    for (name, process) in [("held-done", true), ("held-dropped", false)] {
        let client = t.http.clone();
        let (url, token) = (url.clone(), token.clone());
        let call = tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"displayName": name}))
                .send()
                .await
        });
        while t.emu.held().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(t.emu.held()[0].path, "/graph/v1.0/applications");
        // The client gives up (is killed) while it waits; the service goes on.
        call.abort();
        let _ = call.await;
        assert_eq!(t.emu.release_held(process), 1);
        let want = usize::from(process);
        for _ in 0..200 {
            if app_count(&t, name) == want && t.emu.held().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(app_count(&t, name), want, "{name}");
    }
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
