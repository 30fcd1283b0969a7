//! An async SendCloud SMS client over hyper 1, hyper-util and rustls, driving the sans-IO
//! core [`sendcloud_proto`]; and an SMSHook receiver ([`hook`]).
//!
//! Timeouts are on by default, certificates are verified, every send gets a sendRequestId
//! so that retries never send twice, a `461` makes the client learn the server's clock, and
//! the client is generic over a tower `Service` so that you can add your own middleware.
#![deny(missing_docs)]

mod client;
pub mod hook;
mod proxy;

pub use client::{
    local_now, BoxError, Client, ClientBuilder, DefaultService, Error, Hyper, WithService,
};
pub use proxy::ProxyConnector;
pub use sendcloud_proto as proto;
