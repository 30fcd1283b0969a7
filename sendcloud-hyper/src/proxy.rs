//! A connector that goes direct, or through an HTTP proxy with a CONNECT tunnel.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use base64::Engine as _;
use sendcloud_proto::{redact_url as redact, BoxError};

/// Connects directly, or through a proxy (`CONNECT host:port`) when one is set.
#[derive(Clone, Debug)]
pub struct ProxyConnector {
    direct: HttpConnector,
    tunnel: Option<Tunnel<HttpConnector>>,
}

impl ProxyConnector {
    /// A connector over `http`, through `proxy` (`http://[user:password@]host:port`) if given.
    pub fn new(http: HttpConnector, proxy: Option<&str>) -> Result<Self, String> {
        let tunnel = match proxy {
            None => None,
            Some(p) => {
                let uri: http::Uri = p
                    .parse()
                    .map_err(|e| format!("proxy URL {:?}: {e}", redact(p)))?;
                if uri.scheme_str() != Some("http") || uri.host().is_none() {
                    return Err(format!(
                        "proxy URL must be http://host:port, got {:?}",
                        redact(p)
                    ));
                }
                let auth = uri.authority().map(|a| a.as_str()).unwrap_or("");
                let (userinfo, hostport) = match auth.rsplit_once('@') {
                    Some((u, h)) => (Some(u), h),
                    None => (None, auth),
                };
                let dst: http::Uri = format!("http://{hostport}")
                    .parse()
                    .map_err(|e| format!("proxy URL: {e}"))?;
                let mut tunnel = Tunnel::new(dst, http.clone());
                if let Some(userinfo) = userinfo {
                    let decoded = percent_decode(userinfo);
                    let value = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(decoded.as_bytes())
                    );
                    let header = http::HeaderValue::from_str(&value)
                        .map_err(|_| "proxy credentials are not valid in a header".to_owned())?;
                    tunnel = tunnel.with_auth(header);
                }
                Some(tunnel)
            }
        };
        Ok(ProxyConnector {
            direct: http,
            tunnel,
        })
    }

    /// Whether a proxy is in use.
    pub fn is_proxied(&self) -> bool {
        self.tunnel.is_some()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl tower::Service<http::Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match &mut self.tunnel {
            Some(t) => t.poll_ready(cx).map_err(Into::into),
            None => self.direct.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        match &mut self.tunnel {
            Some(t) => {
                let f = t.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
            None => {
                let f = self.direct.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding_and_redacted_errors() {
        assert_eq!(super::percent_decode("a%40b%3Ac"), "a@b:c");
        assert_eq!(super::percent_decode("100%"), "100%");
        let http = hyper_util::client::legacy::connect::HttpConnector::new();
        let e =
            super::ProxyConnector::new(http, Some("http://u:s3cret pw@proxy:3128")).unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
    }
}
