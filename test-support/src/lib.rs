//! What the workspace's tests share and no user needs: a sandbox served for tests that
//! block, a local HTTP CONNECT proxy, and the README's Rust examples compiled and run as doc
//! tests (this crate sees every crate they use).
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;

/// A sandbox served on 127.0.0.1 by a runtime of its own, for tests whose thread blocks
/// (the blocking client, the C ABI, Python).
pub struct ServedSandbox {
    pub server: sendcloud_sandbox::server::SandboxServer,
    /// The runtime the server runs on (also for starting a [`TunnelProxy`]).
    pub runtime: tokio::runtime::Runtime,
}

/// Serves a sandbox of the default configuration on a free port of 127.0.0.1.
pub fn served_sandbox() -> ServedSandbox {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = rt
        .block_on(sendcloud_sandbox::server::SandboxServer::bind(
            "127.0.0.1:0",
            sendcloud_sandbox::Sandbox::new(sendcloud_sandbox::SandboxConfig::default()),
        ))
        .expect("the sandbox binds");
    ServedSandbox {
        server,
        runtime: rt,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The tunnels a [`TunnelProxy`] opened: target and `Proxy-Authorization` value.
type Tunnels = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A minimal HTTP CONNECT proxy on a local address, for testing clients' proxy settings:
/// it opens the tunnels it is asked for and counts them (and the `Proxy-Authorization`
/// headers it saw).
#[derive(Debug)]
pub struct TunnelProxy {
    addr: SocketAddr,
    tunnels: Tunnels,
    task: tokio::task::JoinHandle<()>,
}

impl TunnelProxy {
    /// Starts the proxy on `addr` (e.g. `127.0.0.1:0`).
    pub async fn bind(addr: &str) -> std::io::Result<TunnelProxy> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let tunnels: Tunnels = Arc::default();
        let seen = tunnels.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.is_err() {
                        return;
                    }
                    let target = match line.split_whitespace().collect::<Vec<_>>()[..] {
                        ["CONNECT", target, _] => target.to_owned(),
                        _ => return,
                    };
                    let mut auth = None;
                    loop {
                        let mut header = String::new();
                        match reader.read_line(&mut header).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) if header == "\r\n" => break,
                            Ok(_) => {
                                if let Some((name, value)) = header.split_once(':') {
                                    if name.eq_ignore_ascii_case("proxy-authorization") {
                                        auth = Some(value.trim().to_owned());
                                    }
                                }
                            }
                        }
                    }
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
                        let _ = reader
                            .get_mut()
                            .write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
                            .await;
                        return;
                    };
                    lock(&seen).push((target, auth));
                    let mut client = reader.into_inner();
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        Ok(TunnelProxy {
            addr,
            tunnels,
            task,
        })
    }

    /// The proxy's URL, `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The tunnels opened so far: target and `Proxy-Authorization` value.
    pub fn tunnels(&self) -> Vec<(String, Option<String>)> {
        lock(&self.tunnels).clone()
    }
}

impl Drop for TunnelProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
