//! `recert-graph` against the emulator over real HTTPS: sign-in grants, the full pull, paging,
//! and a pull under throttling, server errors, dropped connections and truncated bodies. No mock:
//! every call crosses the wire.

mod common;
mod pull;
mod signin;
