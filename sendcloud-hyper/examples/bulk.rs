//! A bulk send of N generated numbers to a base URL, printing the report: for measuring
//! the client's memory (`/usr/bin/time -v`) while the sandbox runs in another process.
//!
//! `cargo run --release -p sendcloud-hyper --example bulk -- BASE_URL N [CONCURRENCY]`

use sendcloud_hyper::proto::{BulkTemplate, Phone, TemplateId, Vars};
use sendcloud_hyper::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bulk BASE_URL N [CONCURRENCY]");
        std::process::exit(2);
    }
    let n: u64 = args[2].parse()?;
    let concurrency: usize = args.get(3).map(|c| c.parse()).transpose()?.unwrap_or(4);
    let client = Client::builder("sandbox-user", "sandbox-key")
        .base_url(args[1].clone())
        .bulk_concurrency(concurrency)
        .build()?;
    let mut vars = Vars::new();
    vars.insert("code", "2468")?;
    let phones = (0..n).map(|i| Phone::parse(&format!("13{i:09}")).expect("a valid number"));
    let started = std::time::Instant::now();
    let report = client
        .send_bulk(
            BulkTemplate::new(TemplateId::new(1)?).with_vars(vars),
            "bulk-example",
            phones,
            |r| {
                if r.batches % 100 == 0 {
                    eprintln!("{} recipients sent", r.recipients);
                }
            },
        )
        .await?;
    println!(
        "{} recipients in {} batches: {} accepted, {} refused, {} failed batches, {:.1} s",
        report.recipients,
        report.batches,
        report.accepted,
        report.refused.len(),
        report.failed.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
