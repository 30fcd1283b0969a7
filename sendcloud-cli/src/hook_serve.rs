//! `sendcloud hook serve`: an SMSHook receiver to run in front of an application, as
//! `stripe listen --forward-to` is for Stripe: it verifies SendCloud's posts, refuses stale
//! and replayed ones (with a replay store in Redis when several run behind a load
//! balancer), prints each accepted event as a JSON line and forwards it, signed, to the
//! application.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use sendcloud_hyper::hook::{serve_until, HookReceiver, ReplayStore};
use sendcloud_hyper::BoxError;
use sendcloud_proto::hook::{HookEvent, HookVerifier};
use sendcloud_proto::Secret;
use sha2::Sha256;

use crate::hook::event_json;
use crate::output::{Failure, INTERNAL, OK};
use crate::Global;

/// The header that carries the signature of a forwarded event.
pub const FORWARD_SIGNATURE_HEADER: &str = "sendcloud-forward-signature";

/// Arguments of `hook serve`. Their Debug output never shows the keys.
#[derive(Args)]
#[command(after_help = "\
Each accepted event is printed on stdout as one JSON line, the shape of `hook verify --json`.

With --forward-to, the line is POSTed to the URL as application/json, with the header
  Sendcloud-Forward-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(forward secret, \"<t>.<body>\")>
(compare in constant time, and refuse an old t). SendCloud gets 200 only after the
application answered 2xx within --forward-timeout; otherwise 503, and SendCloud retries.

With --redis, receivers that share the Redis server accept each event once between them.
If Redis cannot be reached, posts are answered 503 (SendCloud retries) and not forwarded.
The guarantee is at least once: an event whose outcome Redis did not record is handled
again when SendCloud retries. On SIGTERM or Ctrl-C, the receiver stops accepting and
answers the posts in progress before it exits.")]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port); the URL is printed on stderr
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8026")]
    listen: String,
    /// The SMSHook app key (not the SMS key); repeat it to accept any of several keys
    #[arg(
        long = "app-key",
        env = "SENDCLOUD_HOOK_KEY",
        hide_env_values = true,
        value_name = "KEY",
        required = true
    )]
    app_keys: Vec<String>,
    /// A Redis server to share the replay store with other receivers, e.g. redis://127.0.0.1:6379/
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// Where to POST each accepted event, as JSON
    #[arg(long, value_name = "URL", requires = "forward_secret")]
    forward_to: Option<String>,
    /// The secret forwarded events are signed with (the application checks the signature)
    #[arg(
        long,
        env = "SENDCLOUD_FORWARD_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    forward_secret: Option<String>,
    /// How long the application may take to answer a forwarded event, in ms
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    forward_timeout: u64,
    /// How old a post may be, in seconds (older ones are refused as stale)
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    max_age: u64,
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("listen", &self.listen)
            .field(
                "app_keys",
                &format_args!("[{} key(s)]", self.app_keys.len()),
            )
            .field(
                "redis",
                &self.redis.as_deref().map(sendcloud_proto::redact_url),
            )
            .field("forward_to", &self.forward_to)
            .field(
                "forward_secret",
                &self.forward_secret.as_ref().map(|_| "***"),
            )
            .field("forward_timeout", &self.forward_timeout)
            .field("max_age", &self.max_age)
            .finish()
    }
}

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// Posts accepted events to the application, signed.
struct Forward {
    url: http::Uri,
    secret: Secret,
    timeout: Duration,
    client: HttpClient<Https, Full<Bytes>>,
}

impl Forward {
    /// `t=<ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    fn signature(&self, t: u64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(format!("{t}.{body}").as_bytes());
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    async fn post(&self, body: &str) -> Result<(), BoxError> {
        let t = sendcloud_hyper::local_now().as_millis();
        let request = http::Request::post(self.url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(FORWARD_SIGNATURE_HEADER, self.signature(t, body))
            .body(Full::new(Bytes::from(body.to_owned())))?;
        let answer = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| format!("{} did not answer within {:?}", self.url, self.timeout))??;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("{} answered {}", self.url, answer.status()).into())
        }
    }
}

pub fn run(_g: &Global, a: &ServeArgs) -> Result<u8, Failure> {
    let keys: Vec<Secret> = a.app_keys.iter().map(Secret::new).collect();
    let verifier = HookVerifier::new(keys)
        .map_err(|e| Failure::usage(e.to_string(), "Give the SMSHook app key with --app-key."))?
        .with_max_age_ms(a.max_age.saturating_mul(1000));
    let forward =
        match (&a.forward_to, &a.forward_secret) {
            (Some(url), Some(secret)) if !secret.is_empty() => {
                let url: http::Uri = url.parse().map_err(|e| {
                    Failure::usage(
                        format!("--forward-to {url:?} is not a URL: {e}"),
                        "Give the application's URL, e.g. http://127.0.0.1:3000/smshook.",
                    )
                })?;
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_webpki_roots()
                    .https_or_http()
                    .enable_http1()
                    .build();
                Some(Arc::new(Forward {
                    url,
                    secret: Secret::new(secret.as_str()),
                    timeout: Duration::from_millis(a.forward_timeout),
                    client: HttpClient::builder(TokioExecutor::new()).build(connector),
                }))
            }
            (Some(_), _) => return Err(Failure::usage(
                "--forward-to needs --forward-secret (or SENDCLOUD_FORWARD_SECRET)",
                "Choose a secret and give it to the application too, to check what it receives.",
            )),
            (None, _) => None,
        };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                INTERNAL,
                format!("cannot start the runtime: {e}"),
                "This should not happen; please report it.",
            )
        })?;
    // The handler answers within the forward timeout; SendCloud waits 3 s.
    let budget = Duration::from_millis(a.forward_timeout.saturating_add(500));
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .map_err(|e| {
                Failure::usage(
                    format!("cannot listen on {}: {e}", a.listen),
                    "Choose another address with --listen (port 0 picks a free one).",
                )
            })?;
        let addr = listener.local_addr().map_err(|e| {
            Failure::new(
                INTERNAL,
                e.to_string(),
                "This should not happen; please report it.",
            )
        })?;
        let handler = move |event: HookEvent| {
            let forward = forward.clone();
            async move {
                let line = event_json(&event).to_string();
                if let Some(f) = &forward {
                    f.post(&line).await?;
                }
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
                Ok::<(), BoxError>(())
            }
        };
        eprintln!("Receiving SendCloud's SMSHook posts at http://{addr}/");
        match &a.redis {
            None => {
                let receiver = HookReceiver::new(verifier, handler).handler_budget(budget);
                serve(listener, receiver).await
            }
            Some(url) => {
                let store =
                    sendcloud_hyper::hook::RedisStore::open(url, &verifier).map_err(|e| {
                        Failure::usage(
                            e.to_string(),
                            "Give --redis a URL like redis://127.0.0.1:6379/.",
                        )
                    })?;
                let receiver =
                    HookReceiver::with_store(verifier, store, handler).handler_budget(budget);
                serve(listener, receiver).await
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    result.map(|()| OK)
}

/// Serves until SIGTERM or Ctrl-C, then answers the posts in progress.
async fn serve<H, F, S>(
    listener: tokio::net::TcpListener,
    receiver: HookReceiver<H, S>,
) -> Result<(), Failure>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
    S: ReplayStore,
{
    serve_until(listener, receiver, stop_signal())
        .await
        .map_err(|e| {
            Failure::new(
                INTERNAL,
                format!("the receiver stopped: {e}"),
                "Start it again; SendCloud retries what was not answered.",
            )
        })?;
    eprintln!("Receiver stopped.");
    Ok(())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
