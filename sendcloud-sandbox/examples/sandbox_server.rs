//! Serves the sandbox on an address until Ctrl-C: `cargo run --release -p sendcloud-hyper
//! --example sandbox_server -- 127.0.0.1:8025`. Hook events are not queued, so that long
//! load runs keep a bounded queue.

use sendcloud_sandbox::server::SandboxServer;
use sendcloud_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8025".into());
    let config = SandboxConfig {
        queue_hook_events: false,
        per_minute_limit: u32::MAX,
        per_day_limit: u32::MAX,
        ..SandboxConfig::default()
    };
    let server = SandboxServer::bind(&addr, Sandbox::new(config)).await?;
    println!("{}", server.base_url());
    tokio::signal::ctrl_c().await?;
    let n = server.sandbox().outbox().len();
    eprintln!("stopping; {n} messages in the outbox");
    Ok(())
}
