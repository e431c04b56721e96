//! Recert's only door to Microsoft: Graph and ARM over reqwest, behind azure_core credentials.
//!
//! The client pages with `@odata.nextLink`, retries reads on throttling and transient failures
//! honouring `Retry-After`, and keeps every raw response page so a snapshot can be sealed with
//! the exact bytes the tenant returned. Errors are typed ([`GraphError`]) and carry request ids.

mod client;
pub mod cloud;
mod credential;
mod error;
pub mod pull;

pub use client::{GraphClient, RawPage, RetryPolicy};
pub use cloud::Cloud;
pub use credential::{app_only_secret, http_client};
pub use error::GraphError;
pub use pull::{Population, pull_directory_roles};
