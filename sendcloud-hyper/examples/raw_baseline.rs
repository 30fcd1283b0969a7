//! The ceiling for `loadgen`: the same `timestamp/get` requests through hyper-util's
//! pooled client with nothing of this crate around it (no signing, parsing, retries or
//! timeouts), to see what the client itself costs.
//!
//! `cargo run --release -p sendcloud-hyper --example raw_baseline -- BASE_URL N C`

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use http_body_util::{BodyExt, Full};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: raw_baseline BASE_URL N C");
        std::process::exit(2);
    }
    let url: http::Uri = format!("{}/timestamp/get", args[1]).parse()?;
    let n: u64 = args[2].parse()?;
    let c: usize = args[3].parse()?;
    let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let started = std::time::Instant::now();
    let failures = stream::iter(0..n)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                match client.get(url).await {
                    Ok(r) => r.into_body().collect().await.is_err(),
                    Err(_) => true,
                }
            }
        })
        .buffer_unordered(c)
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} requests (raw hyper-util), concurrency {c}: {:.0} requests/s, {failures} failed",
        n as f64 / secs
    );
    Ok(())
}
