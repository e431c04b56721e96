//! The HTTP core: bearer tokens per resource, `@odata.nextLink` paging, `$batch`, and polite
//! retries of reads: `Retry-After` honoured, exponential backoff with jitter, concurrency that
//! halves under throttling and grows back slowly, cancellation, and a request id on every error.
//!
//! Only reads are sent here. `post_read` is for POSTs that read (`getByIds`, `$batch` of GETs);
//! a removal must never go through a retrying path (DESIGN.md invariant 4).

use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{Cloud, GraphError};

/// One raw response page, kept verbatim for the sealed snapshot, with the request behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPage {
    pub method: String,
    pub url: String,
    /// The request body, for POSTs that read (`getByIds`).
    pub request_body: Option<Vec<u8>>,
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
    /// Exponential backoff with jitter (half to full ceiling), so that concurrent partitions do
    /// not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1u32 << attempt.min(16)).min(self.max_delay);
        ceiling.mul_f64(0.5 + jitter() / 2.0)
    }
}

/// A number in [0, 1) that differs per call; good enough to de-synchronise retries.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    (RandomState::new().hash_one(nanos) % 10_000) as f64 / 10_000.0
}

/// Concurrency that adapts to the service: additive increase while requests succeed,
/// multiplicative decrease on throttling (429, 503). Permits taken away while held are paid back
/// as they are returned.
#[derive(Debug)]
pub(crate) struct Pacer {
    semaphore: Arc<Semaphore>,
    state: Mutex<PacerState>,
    max: usize,
}

#[derive(Debug)]
struct PacerState {
    limit: usize,
    debt: usize,
    successes: usize,
    paused_until: Option<Instant>,
}

pub(crate) struct Permit<'a> {
    permit: Option<OwnedSemaphorePermit>,
    pacer: &'a Pacer,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            let mut state = lock(&self.pacer.state);
            if state.debt > 0 {
                state.debt -= 1;
                permit.forget();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Pacer {
    pub(crate) fn new(max: usize) -> Pacer {
        let max = max.max(1);
        Pacer {
            semaphore: Arc::new(Semaphore::new(max)),
            state: Mutex::new(PacerState { limit: max, debt: 0, successes: 0, paused_until: None }),
            max,
        }
    }

    async fn acquire(&self, cancel: &CancellationToken) -> Result<Permit<'_>, GraphError> {
        // Graph throttles per app and tenant: after a Retry-After nobody should knock.
        loop {
            let until = lock(&self.state).paused_until;
            match until {
                Some(t) if t > Instant::now() => {
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(GraphError::Cancelled),
                        _ = tokio::time::sleep_until(t) => {}
                    }
                }
                _ => break,
            }
        }
        let permit = tokio::select! {
            _ = cancel.cancelled() => return Err(GraphError::Cancelled),
            p = self.semaphore.clone().acquire_owned() => p.map_err(|_| GraphError::Cancelled)?,
        };
        Ok(Permit { permit: Some(permit), pacer: self })
    }

    fn success(&self) {
        let mut state = lock(&self.state);
        state.successes += 1;
        if state.successes >= state.limit && state.limit < self.max {
            state.successes = 0;
            state.limit += 1;
            if state.debt > 0 {
                state.debt -= 1;
            } else {
                self.semaphore.add_permits(1);
            }
        }
    }

    fn throttled(&self, retry_after: Option<Duration>) {
        let mut state = lock(&self.state);
        let new = (state.limit / 2).max(1);
        // Idle permits go at once; those in use are paid back as they come home.
        let cut = state.limit - new;
        let forgotten = self.semaphore.forget_permits(cut);
        state.debt += cut - forgotten;
        state.limit = new;
        state.successes = 0;
        if let Some(wait) = retry_after {
            let until = Instant::now() + wait;
            state.paused_until = Some(state.paused_until.map_or(until, |t| t.max(until)));
        }
    }

    /// The current limit, for tests and progress reports.
    pub(crate) fn limit(&self) -> usize {
        lock(&self.state).limit
    }
}

/// One step of a `$batch`, answered.
#[derive(Clone, Debug)]
pub struct BatchResponse {
    /// The step's relative URL as sent.
    pub url: String,
    pub status: u16,
    pub body: Value,
}

/// At most this many steps per `$batch` (Graph's limit).
pub const BATCH_LIMIT: usize = 20;

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    cloud: Cloud,
    credential: Arc<dyn TokenCredential>,
    retry: RetryPolicy,
    graph_pacer: Arc<Pacer>,
    /// The audit log belongs to Graph's "identity and access reports" service, throttled apart
    /// from the directory (5 requests per 10 s): its own pacer keeps its sequential paging from
    /// queueing behind hundreds of directory reads, and its 429s from slowing those down.
    reports_pacer: Arc<Pacer>,
    arm_pacer: Arc<Pacer>,
    cancel: CancellationToken,
    /// Requests put on the wire (attempts included), for the extraction record.
    sent: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient").field("cloud", &self.cloud.name).finish()
    }
}

fn retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

fn throttling(status: u16) -> bool {
    matches!(status, 429 | 503)
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    // Graph sends whole seconds; an HTTP date is legal too but not used by Graph, so it falls
    // back to the computed backoff.
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Graph and ARM cap what one app may do per tenant; 16 requests in flight per API is well
/// inside that, and the pacer halves it at the first sign of throttling.
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

impl GraphClient {
    pub fn new(http: reqwest::Client, cloud: Cloud, credential: Arc<dyn TokenCredential>) -> Self {
        GraphClient {
            http,
            cloud,
            credential,
            retry: RetryPolicy::default(),
            graph_pacer: Arc::new(Pacer::new(DEFAULT_MAX_CONCURRENCY)),
            reports_pacer: Arc::new(Pacer::new(DEFAULT_MAX_CONCURRENCY)),
            arm_pacer: Arc::new(Pacer::new(DEFAULT_MAX_CONCURRENCY)),
            cancel: CancellationToken::new(),
            sent: Arc::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Bounds the requests in flight per API (Graph, ARM); throttling lowers it further.
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        self.graph_pacer = Arc::new(Pacer::new(max));
        self.reports_pacer = Arc::new(Pacer::new(max));
        self.arm_pacer = Arc::new(Pacer::new(max));
        self
    }

    /// Every call made through the returned client fails with [`GraphError::Cancelled`] once
    /// `cancel` is cancelled, including one waiting out a `Retry-After`.
    pub fn with_cancellation(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }

    /// Requests sent so far by this client and its clones.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The Graph concurrency limit right now (it drops under throttling).
    pub fn graph_concurrency(&self) -> usize {
        self.graph_pacer.limit()
    }

    /// The pacer of the service behind `url`: ARM, Graph's reports (the audit log), or the rest
    /// of Graph.
    fn pacer(&self, url: &str) -> &Pacer {
        if self.cloud.is_arm(url) {
            &self.arm_pacer
        } else if url.contains("/auditLogs/") {
            &self.reports_pacer
        } else {
            &self.graph_pacer
        }
    }

    pub(crate) async fn bearer(&self, url: &str) -> Result<String, GraphError> {
        let scope =
            if self.cloud.is_arm(url) { self.cloud.arm_scope() } else { self.cloud.graph_scope() };
        let token = self.credential.get_token(&[scope.as_str()], None).await.map_err(|err| {
            // Our own credentials carry a typed error; others' are summarised.
            match err.into_downcast::<GraphError>() {
                Ok(typed) => typed,
                // azure_identity says only that the request failed: name the host it could not reach.
                Err(other)
                    if matches!(other.kind(), azure_core::error::ErrorKind::Io)
                        || other.to_string().contains("failed to execute") =>
                {
                    GraphError::Unreachable {
                        url: self.cloud.login.to_string(),
                        message: other.to_string(),
                        request_id: None,
                    }
                }
                Err(other) => GraphError::Auth(other.to_string()),
            }
        })?;
        Ok(token.token.secret().to_string())
    }

    /// GETs `url` and parses it as JSON, retrying throttling, transient errors, dropped
    /// connections and truncated bodies. Returns the parsed value and the raw bytes.
    pub async fn get(&self, url: &str) -> Result<(Value, Vec<u8>), GraphError> {
        self.get_as(url).await
    }

    /// As [`GraphClient::get`], parsing straight into `T`: a large pull reads a few hundred
    /// thousand objects, and a `Value` tree costs an allocation per key and per string.
    pub async fn get_as<T: DeserializeOwned + Send + 'static>(
        &self,
        url: &str,
    ) -> Result<(T, Vec<u8>), GraphError> {
        self.send(reqwest::Method::GET, url, None).await
    }

    /// POSTs `body` to an endpoint that only reads (`directoryObjects/getByIds`, a `$batch` of
    /// GETs), with the same retries as [`GraphClient::get`]. Never use it for a write.
    pub async fn post_read(&self, url: &str, body: &Value) -> Result<(Value, Vec<u8>), GraphError> {
        self.post_read_as(url, body).await
    }

    /// As [`GraphClient::post_read`], parsing straight into `T`.
    pub async fn post_read_as<T: DeserializeOwned + Send + 'static>(
        &self,
        url: &str,
        body: &Value,
    ) -> Result<(T, Vec<u8>), GraphError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|err| GraphError::Auth(format!("cannot encode a request: {err}")))?;
        self.send(reqwest::Method::POST, url, Some(bytes)).await
    }

    /// Sends one write (a removal request) exactly once: never retried here, whatever the answer
    /// (DESIGN.md invariant 4). It waits for a permit like every call, so writes share the pacing,
    /// and a throttled answer slows every other call down. A failure comes with the `Retry-After`
    /// the service asked for, so the caller can wait, re-read the assignment and then decide.
    pub async fn write_once(
        &self,
        method: reqwest::Method,
        url: &str,
        body: &Value,
    ) -> Result<Value, (GraphError, Option<Duration>)> {
        let bytes = serde_json::to_vec(body)
            .map_err(|err| (GraphError::Auth(format!("cannot encode a request: {err}")), None))?;
        let pacer = self.pacer(url);
        let permit = pacer.acquire(&self.cancel).await.map_err(|err| (err, None))?;
        let outcome = tokio::select! {
            _ = self.cancel.cancelled() => return Err((GraphError::Cancelled, None)),
            outcome = self.send_once(method, url, Some(&bytes)) => outcome,
        };
        drop(permit);
        match outcome {
            Ok((value, _)) => {
                pacer.success();
                Ok(value)
            }
            Err((err, wait)) => {
                if let GraphError::Service { status, .. } = &err
                    && throttling(*status)
                {
                    pacer.throttled(wait);
                }
                Err((err, wait))
            }
        }
    }

    async fn send<T: DeserializeOwned + Send + 'static>(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(T, Vec<u8>), GraphError> {
        let pacer = self.pacer(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = pacer.acquire(&self.cancel).await?;
            let outcome = tokio::select! {
                _ = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                outcome = self.exchange(method.clone(), url, body.as_deref()) => outcome,
            };
            // The slot is the service's, not ours: it is given back before the answer is parsed,
            // so a large page being read does not keep the next request from going out.
            drop(permit);
            let outcome = match outcome {
                Ok(answer) => {
                    pacer.success();
                    decode_off_thread(url, answer).await.map_err(|err| (err, None))
                }
                Err(failure) => Err(failure),
            };
            let (err, server_wait) = match outcome {
                Ok(ok) => return Ok(ok),
                Err(failure) => failure,
            };
            let transient = match &err {
                GraphError::Service { status, .. } => retryable(*status),
                GraphError::Unreachable { .. } | GraphError::Malformed { .. } => true,
                _ => false,
            };
            if let GraphError::Service { status, .. } = &err
                && throttling(*status)
            {
                pacer.throttled(server_wait);
            }
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
            tokio::select! {
                _ = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<(T, Vec<u8>), (GraphError, Option<Duration>)> {
        let answer = self.exchange(method, url, body).await?;
        decode(url, answer).map_err(|err| (err, None))
    }

    /// One request and its successful answer's bytes; anything else is an error, with the
    /// `Retry-After` the service sent.
    async fn exchange(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, (GraphError, Option<Duration>)> {
        let token = self.bearer(url).await.map_err(|err| (err, None))?;
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Our own id for the request: it is what an error names when the service never answered.
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let unreachable = |err: reqwest::Error, request_id: Option<String>| {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(inner) = source {
                message.push_str(": ");
                message.push_str(&inner.to_string());
                source = inner.source();
            }
            GraphError::Unreachable { url: url.to_string(), message, request_id }
        };
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(token)
            .header("Accept", "application/json")
            .header("client-request-id", &client_request_id);
        if let Some(body) = body {
            request = request.header("Content-Type", "application/json").body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|err| (unreachable(err, Some(client_request_id.clone())), None))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let request_id = response
            .headers()
            .get("request-id")
            .or_else(|| response.headers().get("x-ms-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or(Some(client_request_id));
        let body = response
            .bytes()
            .await
            .map_err(|err| (unreachable(err, request_id.clone()), None))?
            .to_vec();
        if !status.is_success() {
            return Err((GraphError::from_response(status.as_u16(), request_id, &body, url), wait));
        }
        Ok(Answer { no_content: status == StatusCode::NO_CONTENT, body, request_id })
    }

    /// Follows `@odata.nextLink` (Graph) or `nextLink` (ARM) from `url` to the end and returns
    /// every item of every page's `value`, with the raw pages in order.
    pub async fn get_all(&self, url: &str) -> Result<(Vec<Value>, Vec<RawPage>), GraphError> {
        self.get_all_as(url).await
    }

    /// As [`GraphClient::get_all`], each item parsed straight into `T`.
    pub async fn get_all_as<T: DeserializeOwned + Send + 'static>(
        &self,
        url: &str,
    ) -> Result<(Vec<T>, Vec<RawPage>), GraphError> {
        let mut items = Vec::new();
        let mut pages = Vec::new();
        let mut next = Some(url.to_string());
        while let Some(url) = next.take() {
            let (page, body) = self.get_as::<Page<T>>(&url).await?;
            next = page.take_into(&url, &mut items)?;
            pages.push(RawPage { method: "GET".into(), url, request_body: None, body });
        }
        Ok((items, pages))
    }

    /// Sends up to [`BATCH_LIMIT`] GETs (relative URLs such as `/users/{id}/manager`) as one
    /// `$batch` and returns their answers in the order given. Steps throttled or failing
    /// transiently are sent again (only those), after the longest `Retry-After` they carried.
    pub async fn batch_get(&self, urls: &[String]) -> Result<Vec<BatchResponse>, GraphError> {
        Ok(self
            .batch_get_raw(urls)
            .await?
            .into_iter()
            .map(|answer| BatchResponse {
                body: answer
                    .body
                    .and_then(|raw| serde_json::from_str(raw.get()).ok())
                    .unwrap_or(Value::Null),
                url: answer.url,
                status: answer.status,
            })
            .collect())
    }

    /// As [`GraphClient::batch_get`], each step's body left as the service wrote it, to be
    /// parsed by the caller into what it needs and kept verbatim as a raw page.
    pub async fn batch_get_raw(
        &self,
        urls: &[String],
    ) -> Result<Vec<RawBatchResponse>, GraphError> {
        let batch_url = self.cloud.graph_url("$batch");
        let mut answers: Vec<Option<RawBatchResponse>> = (0..urls.len()).map(|_| None).collect();
        let mut pending: Vec<usize> = (0..urls.len()).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let mut all = Vec::new();
            for chunk in pending.chunks(BATCH_LIMIT) {
                let requests: Vec<Value> = chunk
                    .iter()
                    .map(|i| json!({ "id": i.to_string(), "method": "GET", "url": urls[*i] }))
                    .collect();
                let (envelope, _) = self
                    .post_read_as::<BatchEnvelope>(&batch_url, &json!({ "requests": requests }))
                    .await?;
                match envelope.responses {
                    Some(responses) => all.extend(responses),
                    None => {
                        return Err(GraphError::Malformed {
                            url: batch_url.clone(),
                            message: "a $batch answer has no `responses` array".into(),
                            request_id: None,
                        });
                    }
                }
            }
            let mut again = Vec::new();
            let mut wait: Option<Duration> = None;
            for step in all {
                let index = step
                    .id
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|id| id.parse::<usize>().ok())
                    .filter(|i| *i < urls.len());
                let Some(index) = index else { continue };
                let status = step.status.as_ref().and_then(Value::as_u64).unwrap_or(0) as u16;
                if retryable(status) {
                    let after = step
                        .headers
                        .as_ref()
                        .and_then(|h| h.retry_after.as_ref())
                        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()))
                        .map(Duration::from_secs);
                    wait = wait.max(after);
                    again.push(index);
                    continue;
                }
                answers[index] =
                    Some(RawBatchResponse { url: urls[index].clone(), status, body: step.body });
            }
            // A step the service did not answer at all is asked again too.
            for index in &pending {
                if answers[*index].is_none() && !again.contains(index) {
                    again.push(*index);
                }
            }
            again.sort_unstable();
            if again.is_empty() {
                break;
            }
            if attempt >= self.retry.max_attempts {
                return Err(GraphError::RetriesExhausted {
                    url: batch_url,
                    attempts: attempt,
                    last: Box::new(GraphError::Service {
                        status: 429,
                        code: "TooManyRequests".into(),
                        message: format!("{} $batch steps stayed throttled", again.len()),
                        request_id: None,
                    }),
                });
            }
            self.graph_pacer.throttled(wait);
            let wait = wait.unwrap_or_else(|| self.retry.backoff(attempt));
            tokio::select! {
                _ = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                _ = tokio::time::sleep(wait) => {}
            }
            pending = again;
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// The items of a `$batch` step's list answer, parsed into `T`, following its
    /// `@odata.nextLink` with plain GETs; the pages start with the step's body as the service
    /// wrote it.
    pub async fn batch_list_as<T: DeserializeOwned + Send + 'static>(
        &self,
        answer: &RawBatchResponse,
    ) -> Result<(Vec<T>, Vec<RawPage>), GraphError> {
        let url = self.cloud.graph_url(&answer.url);
        let body = answer.body_text();
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(&url));
        }
        let page: Page<T> = serde_json::from_str(body).map_err(|err| GraphError::Malformed {
            url: url.clone(),
            message: err.to_string(),
            request_id: None,
        })?;
        let mut items = Vec::new();
        let next = page.take_into(&url, &mut items)?;
        let mut pages = vec![RawPage {
            method: "GET".into(),
            url,
            request_body: None,
            body: body.as_bytes().to_vec(),
        }];
        if let Some(next) = next {
            let (more, more_pages) = self.get_all_as(&next).await?;
            items.extend(more);
            pages.extend(more_pages);
        }
        Ok((items, pages))
    }
}

/// A successful answer, not yet parsed.
struct Answer {
    no_content: bool,
    body: Vec<u8>,
    request_id: Option<String>,
}

/// Answers at least this large are parsed on the blocking pool.
const PARSE_OFF_THREAD: usize = 32 * 1024;

/// Parses an answer as `T` (no content reads as JSON `null`); a body that is not `T`, such as one
/// cut short, is `Malformed`, which reads retry.
fn decode<T: DeserializeOwned>(url: &str, answer: Answer) -> Result<(T, Vec<u8>), GraphError> {
    let json: &[u8] = if answer.no_content { b"null" } else { &answer.body };
    match serde_json::from_slice(json) {
        Ok(value) => Ok((value, answer.body)),
        Err(err) => Err(GraphError::Malformed {
            url: url.to_string(),
            message: err.to_string(),
            request_id: answer.request_id,
        }),
    }
}

/// [`decode`], on the blocking pool for a large answer: a page of a thousand objects takes
/// milliseconds to parse, and the task that sent it also drives every other request of a pull.
async fn decode_off_thread<T: DeserializeOwned + Send + 'static>(
    url: &str,
    answer: Answer,
) -> Result<(T, Vec<u8>), GraphError> {
    if answer.body.len() < PARSE_OFF_THREAD {
        return decode(url, answer);
    }
    let owned = url.to_string();
    tokio::task::spawn_blocking(move || decode(&owned, answer)).await.unwrap_or_else(|err| {
        Err(GraphError::Malformed {
            url: url.to_string(),
            message: format!("parsing the answer failed: {err}"),
            request_id: None,
        })
    })
}

/// One step of a `$batch`, answered, its body as the service wrote it.
#[derive(Debug)]
pub struct RawBatchResponse {
    /// The step's relative URL as sent.
    pub url: String,
    pub status: u16,
    /// `None` when the step had no body (or a `null` one).
    pub body: Option<Box<RawValue>>,
}

impl RawBatchResponse {
    /// The body's JSON text (`null` when there was none).
    pub fn body_text(&self) -> &str {
        self.body.as_deref().map_or("null", RawValue::get)
    }

    /// The step's failure as a typed error; `url` is the step's absolute URL.
    pub fn error(&self, url: &str) -> GraphError {
        let text = self.body_text();
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        GraphError::from_value(self.status, None, &value, text.as_bytes(), url)
    }
}

/// A `$batch` answer, read only as far as the retry logic needs; step bodies stay raw.
#[derive(Deserialize)]
struct BatchEnvelope {
    responses: Option<Vec<BatchStep>>,
}

#[derive(Deserialize)]
struct BatchStep {
    id: Option<Value>,
    status: Option<Value>,
    headers: Option<StepHeaders>,
    body: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct StepHeaders {
    #[serde(rename = "Retry-After", alias = "retry-after")]
    retry_after: Option<Value>,
}

/// One page of a collection: its items and the link to the next page (Graph's
/// `@odata.nextLink`, ARM's `nextLink`).
#[derive(Deserialize)]
struct Page<T> {
    value: Option<Vec<T>>,
    #[serde(rename = "@odata.nextLink")]
    odata_next_link: Option<String>,
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

impl<T> Page<T> {
    /// Moves the page's items into `items` and returns its next link.
    fn take_into(self, url: &str, items: &mut Vec<T>) -> Result<Option<String>, GraphError> {
        let Some(values) = self.value else {
            return Err(GraphError::Malformed {
                url: url.to_string(),
                message: "the page has no `value` array".into(),
                request_id: None,
            });
        };
        items.extend(values);
        Ok(self.odata_next_link.or(self.next_link).filter(|s| !s.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pacer_halves_under_throttling_and_grows_back() {
        let pacer = Pacer::new(8);
        pacer.throttled(None);
        assert_eq!(pacer.limit(), 4);
        pacer.throttled(None);
        assert_eq!(pacer.limit(), 2);
        for _ in 0..2 {
            pacer.success();
        }
        assert_eq!(pacer.limit(), 3, "one step up after a limit's worth of successes");
        // Only `limit` permits can be held at once, whatever was handed out before.
        let cancel = CancellationToken::new();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(pacer.acquire(&cancel).await.expect("a permit"));
        }
        let fourth = tokio::time::timeout(Duration::from_millis(50), pacer.acquire(&cancel)).await;
        assert!(fourth.is_err(), "a fourth permit must wait while the limit is 3");
    }

    #[tokio::test]
    async fn a_retry_after_pauses_everyone_and_cancellation_ends_the_wait() {
        let pacer = Pacer::new(4);
        pacer.throttled(Some(Duration::from_secs(30)));
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = pacer.acquire(&cancel).await.err().expect("cancelled while paused");
        assert!(matches!(err, GraphError::Cancelled));
    }
}
