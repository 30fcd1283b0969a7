//! The server protects itself: idle and slow clients are closed after the header read
//! timeout and cannot starve others, a connection cap refuses the excess, and oversized
//! bodies get 413 without being read to the end.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sendcloud_sandbox::server::{SandboxServer, ServerOptions};
use sendcloud_sandbox::{Sandbox, SandboxConfig};

async fn served(options: ServerOptions) -> SandboxServer {
    SandboxServer::bind_with(
        "127.0.0.1:0",
        Sandbox::new(SandboxConfig::default()),
        options,
    )
    .await
    .unwrap()
}

/// A GET of the server's clock on a fresh connection: the status line.
fn get_time(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /smsapi/timestamp/get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or("").to_owned()
}

/// How long until the server closes `s` (reads return 0 or fail).
fn time_to_close(mut s: TcpStream, limit: Duration) -> Duration {
    let start = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return start.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_clients_are_closed_and_others_still_served() {
    let server = served(ServerOptions {
        header_read_timeout: Duration::from_millis(500),
        ..ServerOptions::default()
    })
    .await;
    let addr = server.addr();
    tokio::task::spawn_blocking(move || {
        // One connects and sends nothing.
        let silent = TcpStream::connect(addr).unwrap();
        // One sends a header byte every 100 ms.
        let slow = TcpStream::connect(addr).unwrap();
        let mut writer = slow.try_clone().unwrap();
        let dripping = std::thread::spawn(move || {
            for b in
                b"GET /smsapi/timestamp/get HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa"
            {
                if writer.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        // Meanwhile a normal client gets its answers.
        for _ in 0..5 {
            assert!(get_time(addr).contains("200"));
        }
        let silent_closed = time_to_close(silent, Duration::from_secs(5));
        let slow_closed = time_to_close(slow, Duration::from_secs(5));
        assert!(silent_closed < Duration::from_secs(3), "{silent_closed:?}");
        assert!(slow_closed < Duration::from_secs(3), "{slow_closed:?}");
        let _ = dripping.join();
        // A keep-alive connection idle after its answer is closed too.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /smsapi/timestamp/get HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 1024];
        assert!(s.read(&mut buf).unwrap() > 0);
        assert!(time_to_close(s, Duration::from_secs(5)) < Duration::from_secs(3));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_refused_not_queued() {
    let server = served(ServerOptions {
        max_connections: 4,
        ..ServerOptions::default()
    })
    .await;
    let addr = server.addr();
    let refused = tokio::task::spawn_blocking(move || {
        let idle: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(200));
        // The fifth is told 503 (or just closed), at once.
        let start = Instant::now();
        let status = get_time(addr);
        assert!(status.is_empty() || status.contains("503"), "{status:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
        // Once one idle connection goes, a client is served again.
        drop(idle);
        std::thread::sleep(Duration::from_millis(200));
        assert!(get_time(addr).contains("200"));
    })
    .await;
    refused.unwrap();
    assert!(server.refused_connections() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_without_being_read() {
    let server = served(ServerOptions::default()).await;
    let addr = server.addr();
    tokio::task::spawn_blocking(move || {
        for path in ["/smsapi/send", "/api/faults"] {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            // Says 1 GB, sends 1 KB: the answer comes without the rest.
            write!(
                s,
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\n"
            )
            .unwrap();
            s.write_all(&[b'a'; 1024]).unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            assert!(out.starts_with("HTTP/1.1 413"), "{path}: {out:?}");
        }
        // A chunked body past the limit: refused once the limit is passed.
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"POST /smsapi/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..80 {
            if write!(s, "{:x}\r\n", chunk.len()).is_err()
                || s.write_all(&chunk).is_err()
                || s.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 413"), "{out:?}");
    })
    .await
    .unwrap();
    // The server is fine afterwards.
    let addr = server.addr();
    let status = tokio::task::spawn_blocking(move || get_time(addr))
        .await
        .unwrap();
    assert!(status.contains("200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_gets_408_and_others_are_still_served() {
    let server = served(ServerOptions {
        body_read_timeout: Duration::from_millis(400),
        ..ServerOptions::default()
    })
    .await;
    let addr = server.addr();
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"POST /smsapi/send HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nsms")
            .unwrap();
        let start = Instant::now();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 408"), "{out:?}");
        assert!(start.elapsed() < Duration::from_secs(3));
        assert!(get_time(addr).contains("200"));
    })
    .await
    .unwrap();
}
