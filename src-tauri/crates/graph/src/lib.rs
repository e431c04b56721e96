//! Recert's only door to Microsoft: Graph and ARM over reqwest, behind azure_core credentials.
//!
//! The client pages with `@odata.nextLink`, batches with `$batch`, retries reads on throttling
//! and transient failures honouring `Retry-After` with concurrency that backs off, and keeps every
//! raw response page so a snapshot can be sealed with the exact bytes the tenant returned. Sign-in
//! covers people (authorization code + PKCE, device code, refresh; [`signin`]), apps (client
//! secret or certificate) and developers (Azure CLI). Errors are typed ([`GraphError`]) and carry
//! request ids.

pub mod change;
mod client;
pub mod cloud;
mod credential;
mod error;
pub mod holders;
pub mod people;
pub mod preflight;
pub mod pull;
pub mod remove;
pub mod reviews;
pub mod signin;
mod vault;

pub use azure_core::credentials::TokenCredential;
pub use client::{
    BATCH_LIMIT, BatchResponse, DEFAULT_MAX_CONCURRENCY, GraphClient, RawBatchResponse, RawPage,
    RetryPolicy,
};
pub use cloud::{Cloud, CloudUrlError};
pub use credential::{
    ClientCertificate, app_only_certificate, app_only_secret, azure_cli, http_client,
};
pub use error::GraphError;
pub use pull::{Population, PullOptions, PullProgress, PullStage, pages_sha256, pull};
pub use signin::{DeviceCode, Identity, InteractiveSignIn, PublicClient};
pub use tokio_util::sync::CancellationToken;
pub use vault::{FileVault, KeychainVault, MemoryVault, TokenVault, default_vault};
