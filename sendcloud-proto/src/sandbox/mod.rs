//! The sandbox: the server side of the protocol.
