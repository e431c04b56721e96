//! The HTTP core: bearer tokens, `@odata.nextLink` paging, and polite retries of reads.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{Cloud, GraphError};

/// One raw response page, kept verbatim for the sealed snapshot.
#[derive(Clone, Debug)]
pub struct RawPage {
    pub url: String,
    pub body: Vec<u8>,
}

/// How reads are retried. Writes are never retried here (DESIGN.md invariant 4).
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter, so that concurrent partitions do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1u32 << attempt.min(16)).min(self.max_delay);
        let random = RandomState::new().hash_one(attempt) % 1000;
        ceiling.mul_f64(0.5 + random as f64 / 2000.0)
    }
}

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    cloud: Cloud,
    credential: Arc<dyn TokenCredential>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient").field("cloud", &self.cloud.name).finish()
    }
}

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    // Graph sends whole seconds; an HTTP date is legal too but not used by Graph, so it falls
    // back to the computed backoff.
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl GraphClient {
    pub fn new(http: reqwest::Client, cloud: Cloud, credential: Arc<dyn TokenCredential>) -> Self {
        GraphClient { http, cloud, credential, retry: RetryPolicy::default() }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }

    async fn bearer(&self) -> Result<String, GraphError> {
        let scope = self.cloud.graph_scope();
        let token = self
            .credential
            .get_token(&[scope.as_str()], None)
            .await
            .map_err(|err| GraphError::Auth(err.to_string()))?;
        Ok(token.token.secret().to_string())
    }

    /// GETs `url` and parses it as JSON, retrying throttling, transient errors, dropped
    /// connections and truncated bodies. Returns the parsed value and the raw bytes.
    pub async fn get(&self, url: &str) -> Result<(Value, Vec<u8>), GraphError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.get_once(url).await {
                Ok(ok) => return Ok(ok),
                Err((err, wait)) => (err, wait),
            };
            let (err, server_wait) = failure;
            let transient = match &err {
                GraphError::Service { status, .. } => {
                    retryable(StatusCode::from_u16(*status).unwrap_or(StatusCode::OK))
                }
                GraphError::Unreachable { .. } | GraphError::Malformed { .. } => true,
                _ => false,
            };
            if !transient {
                return Err(err);
            }
            if attempt >= self.retry.max_attempts {
                return Err(GraphError::RetriesExhausted {
                    url: url.to_string(),
                    attempts: attempt,
                    last: Box::new(err),
                });
            }
            let wait = server_wait.unwrap_or_else(|| self.retry.backoff(attempt));
            tracing::debug!(%url, attempt, ?wait, error = %err, "retrying read");
            tokio::time::sleep(wait).await;
        }
    }

    async fn get_once(
        &self,
        url: &str,
    ) -> Result<(Value, Vec<u8>), (GraphError, Option<Duration>)> {
        let token = self.bearer().await.map_err(|err| (err, None))?;
        let unreachable = |err: reqwest::Error| GraphError::Unreachable {
            url: url.to_string(),
            message: err.to_string(),
        };
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|err| (unreachable(err), None))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let request_id = response
            .headers()
            .get("request-id")
            .or_else(|| response.headers().get("x-ms-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(|err| (unreachable(err), None))?.to_vec();
        if !status.is_success() {
            return Err((GraphError::from_response(status.as_u16(), request_id, &body), wait));
        }
        let value = serde_json::from_slice(&body).map_err(|err| {
            (GraphError::Malformed { url: url.to_string(), message: err.to_string() }, None)
        })?;
        Ok((value, body))
    }

    /// Follows `@odata.nextLink` (Graph) or `nextLink` (ARM) from `url` to the end and returns
    /// every item of every page's `value`, with the raw pages in order.
    pub async fn get_all(&self, url: &str) -> Result<(Vec<Value>, Vec<RawPage>), GraphError> {
        let mut items = Vec::new();
        let mut pages = Vec::new();
        let mut next = Some(url.to_string());
        while let Some(url) = next.take() {
            let (mut page, body) = self.get(&url).await?;
            match page.get_mut("value").map(Value::take) {
                Some(Value::Array(values)) => items.extend(values),
                _ => {
                    return Err(GraphError::Malformed {
                        url,
                        message: "the page has no `value` array".into(),
                    });
                }
            }
            next = page
                .get("@odata.nextLink")
                .or_else(|| page.get("nextLink"))
                .and_then(Value::as_str)
                .map(str::to_string);
            pages.push(RawPage { url, body });
        }
        Ok((items, pages))
    }
}
