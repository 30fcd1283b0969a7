//! A small server with the SMSHook receiver mounted at `/smshook` beside other routes.
//!
//! `SENDCLOUD_HOOK_KEY=... cargo run -p sendcloud-hyper --example hook_receiver -- 127.0.0.1:8080`
//! (the key defaults to the sandbox's). Point the account's SMSHook URL, or the sandbox's
//! `deliver_hooks`, at `http://ADDR/smshook`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sendcloud_hyper::hook::HookReceiver;
use sendcloud_hyper::proto::hook::{HookEvent, HookEventKind, HookVerifier};
use sendcloud_hyper::proto::Secret;
use tower::ServiceExt;

/// What this server does with each verified event.
async fn handle(event: HookEvent) -> Result<(), sendcloud_hyper::BoxError> {
    match &event.kind {
        HookEventKind::Delivered { sms_id, .. } => println!("delivered: {sms_id}"),
        HookEventKind::DeliveryFailed { sms_id, status, .. }
        | HookEventKind::ProcessingFailed { sms_id, status, .. } => {
            println!("failed: {sms_id}: {status}")
        }
        _ => println!("{}: {:?}", event.event_name(), event.fields),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let key = std::env::var("SENDCLOUD_HOOK_KEY").unwrap_or_else(|_| "sandbox-hook-key".into());
    let receiver = HookReceiver::new(HookVerifier::new(vec![Secret::new(key)])?, handle);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}/smshook");
    loop {
        let (stream, _) = listener.accept().await?;
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let routes = service_fn(move |req: http::Request<Incoming>| {
                let receiver = receiver.clone();
                async move {
                    if req.uri().path() == "/smshook" {
                        receiver.oneshot(req).await
                    } else {
                        Ok(http::Response::new(Full::new(Bytes::from_static(
                            b"hello; SMSHook posts go to /smshook\n",
                        ))))
                    }
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), routes)
                .await;
        });
    }
}
