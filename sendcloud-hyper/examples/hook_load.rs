//! Accepted SMSHook events per second through one receiver, with the replay store in memory
//! or in Redis: the receiver is served on a free port of this machine, and N signed posts
//! (each with its own token) are sent to it over HTTP with concurrency C.
//!
//! `cargo run --release -p sendcloud-hyper --features redis --example hook_load -- memory 20000 16`
//! `cargo run --release -p sendcloud-hyper --features redis --example hook_load -- redis://127.0.0.1:6379/ 20000 16`

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use http_body_util::Full;
use sendcloud_hyper::hook::{serve, HookReceiver, RedisStore};
use sendcloud_hyper::proto::hook::{hook_signature, HookEvent, HookVerifier};
use sendcloud_hyper::proto::Secret;
use sendcloud_hyper::{local_now, BoxError};

async fn handle(_event: HookEvent) -> Result<(), BoxError> {
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: hook_load memory|REDIS_URL N C");
        std::process::exit(2);
    }
    let (store, n, c) = (&args[1], args[2].parse::<u64>()?, args[3].parse::<usize>()?);
    let key = Secret::new("load-key");
    let verifier = HookVerifier::new(vec![key.clone()])?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url: http::Uri = format!("http://{}/", listener.local_addr()?).parse()?;
    if store == "memory" {
        tokio::spawn(serve(listener, HookReceiver::new(verifier, handle)));
    } else {
        let redis = RedisStore::open(store, &verifier)
            .map_err(|e| e.to_string())?
            .with_prefix(format!("sendcloud:load:{}:", local_now().as_millis()));
        tokio::spawn(serve(
            listener,
            HookReceiver::with_store(verifier, redis, handle),
        ));
    }
    let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let started = std::time::Instant::now();
    let accepted = stream::iter(0..n)
        .map(|i| {
            let (client, url, key) = (client.clone(), url.clone(), key.clone());
            async move {
                let ts = local_now().as_millis().to_string();
                let token = format!("{i:0>50}");
                let body = format!(
                    "event=deliver&smsId=1_1_1_1_{i}%2413800000000&phone=13800000000&token={token}&timestamp={ts}&signature={}",
                    hook_signature(&key, &ts, &token)
                );
                let request = http::Request::post(url)
                    .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Full::new(Bytes::from(body)))
                    .expect("a valid request");
                matches!(client.request(request).await, Ok(r) if r.status() == 200)
            }
        })
        .buffer_unordered(c)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} posts ({store} store), concurrency {c}: {:.0} accepted events/s, {accepted} accepted, {secs:.2} s",
        accepted as f64 / secs
    );
    Ok(())
}
