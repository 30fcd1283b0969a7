//! Sends N requests at concurrency C to a SendCloud base URL and prints requests per second.
//!
//! `cargo run --release -p sendcloud-hyper --example loadgen -- BASE_URL N C [time|send]`
//!
//! `time` (the default) calls `timestamp/get`, the same request `wrk` can make, so the two
//! are compared on equal terms; `send` signs and sends a template SMS to a new number each
//! time (credentials from SENDCLOUD_SMS_USER / SENDCLOUD_SMS_KEY, else the sandbox's).

use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use sendcloud_hyper::proto::{Phone, Recipients, SendTemplate, TemplateId, Vars};
use sendcloud_hyper::Client;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: loadgen BASE_URL N C [time|send]");
        std::process::exit(2);
    }
    let (url, n, c) = (&args[1], args[2].parse::<u64>()?, args[3].parse::<usize>()?);
    let mode = args.get(4).map(String::as_str).unwrap_or("time");
    let user = std::env::var("SENDCLOUD_SMS_USER").unwrap_or_else(|_| "sandbox-user".into());
    let key = std::env::var("SENDCLOUD_SMS_KEY").unwrap_or_else(|_| "sandbox-key".into());
    let client = Client::builder(user, key).base_url(url.clone()).build()?;
    let start = Instant::now();
    let failures = stream::iter(0..n)
        .map(|i| {
            let client = client.clone();
            async move {
                match mode {
                    "send" => {
                        let mut vars = Vars::new();
                        vars.insert("code", "1234").expect("a valid variable");
                        let phone = Phone::parse(&format!("13{i:09}")).expect("a valid number");
                        let send = SendTemplate::new(
                            TemplateId::new(1).expect("positive"),
                            Recipients::one(phone),
                        )
                        .with_vars(vars);
                        client.send(send).await.is_err()
                    }
                    _ => client.server_time().await.is_err(),
                }
            }
        })
        .buffer_unordered(c)
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} requests ({mode}), concurrency {c}: {:.0} requests/s, {failures} failed, {secs:.2} s",
        n as f64 / secs
    );
    Ok(())
}
