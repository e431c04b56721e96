//! `recert-graph` against the emulator over real HTTPS: sign-in grants, the full pull, paging,
//! `$batch` steps throttled one by one, and a pull under throttling, server errors, dropped
//! connections and truncated bodies. No mock: every call crosses the wire.

mod batch;
mod common;
mod gaps;
mod pull;
mod reviews;
mod signin;
