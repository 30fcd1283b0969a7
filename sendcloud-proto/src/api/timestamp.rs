//! `timestamp/get`: the server's clock.

use http::Method;

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::form::Form;
use crate::response::{server_time, Envelope, ServerTime};

/// Reads the server's clock (`GET timestamp/get`), to correct for local clock skew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GetServerTime;

impl Endpoint for GetServerTime {
    const PATH: &'static str = "timestamp/get";
    const METHOD: Method = Method::GET;
    const SIGNED: bool = false;
    const SAFE_TO_REPEAT: bool = true;
    type Output = ServerTime;

    fn params(&self, _form: &mut Form) {}

    fn parse(envelope: Envelope<'_>) -> Result<ServerTime, Error> {
        server_time(envelope)
    }
}
