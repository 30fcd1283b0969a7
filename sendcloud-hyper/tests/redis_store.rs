//! The Redis replay store against a real `redis-server` on a free port.
#![cfg(feature = "redis")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sendcloud_hyper::hook::{Claim, RedisStore, ReplayStore};
use sendcloud_hyper::proto::hook::HookVerifier;
use sendcloud_hyper::proto::{Secret, Timestamp};

#[tokio::test]
async fn claims_are_shared_pending_then_done_and_expire() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spawned = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .stdout(Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: redis-server cannot run here ({e})");
            return;
        }
        Err(e) => panic!("redis-server is needed in CI: {e}"),
    };
    let verifier = HookVerifier::new(vec![Secret::new("k")]).unwrap();
    let url = format!("redis://127.0.0.1:{port}/");
    let a = RedisStore::open(&url, &verifier)
        .unwrap()
        .pending_for(Duration::from_millis(300));
    let b = RedisStore::open(&url, &verifier).unwrap();
    let (t, now) = (Timestamp(1), Timestamp(2));
    // Redis may take a moment to listen.
    let started = Instant::now();
    let first = loop {
        match a.claim("tok-1", t, now).await {
            Ok(c) => break c,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(first, Claim::New);
    // Another receiver sees it in flight, then done once confirmed.
    assert_eq!(b.claim("tok-1", t, now).await.unwrap(), Claim::InFlight);
    a.confirm("tok-1").await.unwrap();
    assert_eq!(b.claim("tok-1", t, now).await.unwrap(), Claim::Done);
    // Released: claimed again.
    assert_eq!(a.claim("tok-2", t, now).await.unwrap(), Claim::New);
    a.release("tok-2").await.unwrap();
    assert_eq!(b.claim("tok-2", t, now).await.unwrap(), Claim::New);
    // A claim without an outcome expires: at least once.
    assert_eq!(a.claim("tok-3", t, now).await.unwrap(), Claim::New);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(b.claim("tok-3", t, now).await.unwrap(), Claim::New);
    // Redis gone: an error, never a claim.
    let _ = child.kill();
    let _ = child.wait();
    assert!(a.claim("tok-4", t, now).await.is_err());
    assert!(format!("{a:?}").starts_with("RedisStore"));
}
