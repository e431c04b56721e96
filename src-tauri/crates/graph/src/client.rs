//! The HTTP core: bearer tokens per resource, `@odata.nextLink` paging, `$batch`, and polite
//! retries of reads: `Retry-After` honoured, exponential backoff with jitter, concurrency that
//! halves under throttling and grows back slowly, cancellation, and a request id on every error.
//!
//! Only reads are sent here. `post_read` is for POSTs that read (`getByIds`, `$batch` of GETs);
//! a removal must never go through a retrying path (DESIGN.md invariant 4).

use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::oneshot;
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
///
/// Permits go to waiting next pages first (see [`Priority::Next`]), then to the other requests
/// in the order they came.
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<PacerState>,
    max: usize,
}

/// Which requests go first when permits are short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Priority {
    Normal,
    /// A collection's next page, or a request of an [`GraphClient::urgent`] client. A
    /// collection's pages follow one another, so the longest one is a pull's critical path; each
    /// of its pages queued behind every first page and every `$batch` waiting would make that
    /// path longer still, for no request saved.
    Next,
}

#[derive(Debug)]
struct PacerState {
    limit: usize,
    /// Permits nobody holds.
    free: usize,
    /// Permits to take back as they are returned, after the limit fell below what was held.
    debt: usize,
    successes: usize,
    paused_until: Option<Instant>,
    /// Requests waiting for a permit, each woken by a send on its channel.
    next: VecDeque<oneshot::Sender<()>>,
    normal: VecDeque<oneshot::Sender<()>>,
}

impl PacerState {
    /// Gives a returned (or new) permit to the first waiter still waiting, or keeps it free.
    fn hand_on(&mut self) {
        while let Some(waiter) = self.next.pop_front().or_else(|| self.normal.pop_front()) {
            if waiter.send(()).is_ok() {
                return;
            }
        }
        self.free += 1;
    }
}

pub(crate) struct Permit<'a> {
    pacer: &'a Pacer,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.pacer.state);
        if state.debt > 0 {
            state.debt -= 1;
        } else {
            state.hand_on();
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
            state: Mutex::new(PacerState {
                limit: max,
                free: max,
                debt: 0,
                successes: 0,
                paused_until: None,
                next: VecDeque::new(),
                normal: VecDeque::new(),
            }),
            max,
        }
    }

    async fn acquire(&self, cancel: &CancellationToken) -> Result<Permit<'_>, GraphError> {
        self.acquire_as(cancel, Priority::Normal).await
    }

    async fn acquire_as(
        &self,
        cancel: &CancellationToken,
        priority: Priority,
    ) -> Result<Permit<'_>, GraphError> {
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
        let mut granted = {
            let mut state = lock(&self.state);
            // A normal request does not take a free permit from under a waiting next page.
            let may_take = priority == Priority::Next || state.next.is_empty();
            if may_take && state.free > 0 {
                state.free -= 1;
                return Ok(Permit { pacer: self });
            }
            let (sender, receiver) = oneshot::channel();
            match priority {
                Priority::Next => state.next.push_back(sender),
                Priority::Normal => state.normal.push_back(sender),
            }
            receiver
        };
        tokio::select! {
            _ = cancel.cancelled() => {
                // A permit handed over just as the wait was cancelled goes on to the next waiter.
                granted.close();
                if granted.try_recv().is_ok() {
                    drop(Permit { pacer: self });
                }
                Err(GraphError::Cancelled)
            }
            result = &mut granted => match result {
                Ok(()) => Ok(Permit { pacer: self }),
                // Never dropped while waited on: the pacer outlives its permits.
                Err(_) => Err(GraphError::Cancelled),
            },
        }
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
                state.hand_on();
            }
        }
    }

    fn throttled(&self, retry_after: Option<Duration>) {
        let mut state = lock(&self.state);
        let new = (state.limit / 2).max(1);
        // Idle permits go at once; those in use are paid back as they come home.
        let cut = state.limit - new;
        let forgotten = cut.min(state.free);
        state.free -= forgotten;
        state.debt += cut - forgotten;
        state.limit = new;
        state.successes = 0;
        if let Some(wait) = retry_after {
            // Bounded by the caller's clamp; `checked_add` keeps even an unclamped value from
            // panicking on an instant past the clock's range.
            let Some(until) = Instant::now().checked_add(wait.min(RETRY_AFTER_CAP)) else {
                return;
            };
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
    /// How this client's requests queue for a permit (see [`GraphClient::urgent`]).
    priority: Priority,
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

/// The longest a single `Retry-After` may make Recert wait. A service asking for longer (or a
/// broken proxy sending an absurd value) gets this, so no answer can stall a pull for hours.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(120);

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?)
}

/// A `Retry-After` value in seconds, whole or fractional (Graph documents `2.128`), clamped to
/// [`RETRY_AFTER_CAP`]. An HTTP date (legal, but not what Graph sends), a negative, `NaN` or
/// unreadable value is `None`: the computed backoff applies instead.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(seconds).unwrap_or(RETRY_AFTER_CAP).min(RETRY_AFTER_CAP))
}

/// The most pages one collection may take. A tenant's largest list (a role's instances at
/// Graph's default page size, users at 120 a page) is far below it; a service that keeps
/// handing out new links past it is looping, and the pull stops with an error.
pub const PAGE_CAP: usize = 50_000;

/// The rules a next link must pass before it is followed: the cloud's own scheme, host and port
/// (the token must never go anywhere else), under the same service root, never a link already
/// followed in this collection, and not past [`PAGE_CAP`] pages.
pub(crate) struct Paging<'a> {
    cloud: &'a Cloud,
    first: String,
    seen: std::collections::HashSet<String>,
}

impl<'a> Paging<'a> {
    pub(crate) fn new(cloud: &'a Cloud, first: &str) -> Paging<'a> {
        let mut seen = std::collections::HashSet::new();
        seen.insert(first.to_string());
        Paging { cloud, first: first.to_string(), seen }
    }

    /// Checks `link` (a page's next link) and returns it to follow, or why it may not be.
    pub(crate) fn follow(&mut self, link: String) -> Result<String, GraphError> {
        let stop = |message: String| GraphError::Paging { url: self.first.clone(), message };
        let root = if self.cloud.is_arm(&self.first) { &self.cloud.arm } else { &self.cloud.graph };
        let parsed = url::Url::parse(&link)
            .map_err(|err| stop(format!("the next link is not an absolute URL ({err})")))?;
        let same_origin = parsed.scheme() == root.scheme()
            && parsed.host_str() == root.host_str()
            && parsed.port_or_known_default() == root.port_or_known_default();
        if !same_origin || !parsed.path().starts_with(root.path().trim_end_matches('/')) {
            return Err(stop(format!(
                "the next link leads to {}://{}{}, outside {} (the {} cloud's own service): not \
                 followed, so the sign-in token is never sent there",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default(),
                parsed.port().map(|p| format!(":{p}")).unwrap_or_default(),
                root.as_str().trim_end_matches('/'),
                self.cloud.name,
            )));
        }
        if !self.seen.insert(link.clone()) {
            return Err(stop(format!(
                "the service sent a next link already followed ({link}): the paging would loop"
            )));
        }
        if self.seen.len() > PAGE_CAP {
            return Err(stop(format!(
                "the collection passed {PAGE_CAP} pages without ending: paging stopped"
            )));
        }
        Ok(link)
    }
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
            priority: Priority::Normal,
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same client, whose requests go before waiting ordinary ones, as next pages do: for
    /// the few requests everything after them waits on, sent while many others queue.
    pub fn urgent(&self) -> GraphClient {
        GraphClient { priority: Priority::Next, ..self.clone() }
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
        self.send(reqwest::Method::GET, url, None, false, self.priority).await
    }

    /// As [`GraphClient::get_as`], with the `ConsistencyLevel: eventual` header that advanced
    /// queries (`$search`, `$count=true`) need (user-list.md: "This header and `$count` are
    /// required when using `$search`").
    pub async fn get_eventual_as<T: DeserializeOwned + Send + 'static>(
        &self,
        url: &str,
    ) -> Result<(T, Vec<u8>), GraphError> {
        self.send(reqwest::Method::GET, url, None, true, self.priority).await
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
        self.send(reqwest::Method::POST, url, Some(bytes), false, self.priority).await
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
        eventual: bool,
        priority: Priority,
    ) -> Result<(T, Vec<u8>), GraphError> {
        let pacer = self.pacer(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = pacer.acquire_as(&self.cancel, priority).await?;
            let outcome = tokio::select! {
                _ = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                outcome = self.exchange(method.clone(), url, body.as_deref(), eventual) => outcome,
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
        let answer = self.exchange(method, url, body, false).await?;
        decode(url, answer).map_err(|err| (err, None))
    }

    /// One request and its successful answer's bytes; anything else is an error, with the
    /// `Retry-After` the service sent.
    async fn exchange(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&[u8]>,
        eventual: bool,
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
        if eventual {
            request = request.header("ConsistencyLevel", "eventual");
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
        self.page_on(url, Vec::new(), Vec::new(), Some(url.to_string())).await
    }

    /// Reads pages from `next` on, into `items` and `pages`, every link checked by [`Paging`]
    /// against `first`, the collection's own URL.
    async fn page_on<T: DeserializeOwned + Send + 'static>(
        &self,
        first: &str,
        mut items: Vec<T>,
        mut pages: Vec<RawPage>,
        mut next: Option<String>,
    ) -> Result<(Vec<T>, Vec<RawPage>), GraphError> {
        let mut paging = Paging::new(&self.cloud, first);
        if let Some(link) = next.take() {
            next = Some(if link == first { link } else { paging.follow(link)? });
        }
        while let Some(url) = next.take() {
            let priority = if pages.is_empty() { self.priority } else { Priority::Next };
            let (page, body) =
                self.send::<Page<T>>(reqwest::Method::GET, &url, None, false, priority).await?;
            next = match page.take_into(&url, &mut items)? {
                Some(link) => Some(paging.follow(link)?),
                None => None,
            };
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
                    let after =
                        step.headers.as_ref().and_then(|h| h.retry_after.as_ref()).and_then(|v| {
                            match v {
                                Value::String(s) => parse_retry_after(s),
                                other => parse_retry_after(&other.to_string()),
                            }
                        });
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
        let pages = vec![RawPage {
            method: "GET".into(),
            url: url.clone(),
            request_body: None,
            body: body.as_bytes().to_vec(),
        }];
        self.page_on(&url, items, pages, next).await
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
    async fn a_next_page_goes_before_requests_that_waited_longer() {
        let pacer = Pacer::new(1);
        let cancel = CancellationToken::new();
        let held = pacer.acquire(&cancel).await.expect("the only permit");
        let order = Mutex::new(Vec::new());
        let take = |name: &'static str, priority| {
            let (pacer, cancel, order) = (&pacer, &cancel, &order);
            async move {
                let permit = pacer.acquire_as(cancel, priority).await.expect("a permit");
                lock(order).push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
                drop(permit);
            }
        };
        let release = async {
            // Both wait before the permit comes back: the first page first.
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(held);
        };
        let first = take("first page", Priority::Normal);
        let next = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            take("next page", Priority::Next).await;
        };
        tokio::join!(first, next, release);
        assert_eq!(*lock(&order), ["next page", "first page"]);
        // Every permit came home.
        assert_eq!(lock(&pacer.state).free, 1);
    }

    #[tokio::test]
    async fn a_request_that_gives_up_waiting_loses_no_permit() {
        let pacer = Pacer::new(1);
        let cancel = CancellationToken::new();
        let held = pacer.acquire(&cancel).await.expect("the only permit");
        let gone = CancellationToken::new();
        let waiting = pacer.acquire(&gone);
        let other = CancellationToken::new();
        let (cancelled, got) = tokio::join!(
            async {
                let r = waiting.await;
                r.err()
            },
            async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                gone.cancel();
                let next = pacer.acquire(&other);
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(held);
                next.await.is_ok()
            }
        );
        assert!(matches!(cancelled, Some(GraphError::Cancelled)));
        assert!(got, "the permit skipped the request that gave up");
    }

    #[test]
    fn a_huge_or_hostile_retry_after_cannot_stall_the_pull() {
        assert_eq!(parse_retry_after("2.128"), Some(Duration::from_millis(2128)), "documented");
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        for absurd in ["99999999999999999999", "1e300", "18446744073709551615"] {
            assert_eq!(parse_retry_after(absurd), Some(RETRY_AFTER_CAP), "{absurd}");
        }
        for unusable in ["-1", "NaN", "inf", "", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(unusable), None, "{unusable}: the backoff applies");
        }
        // The pacer takes even an unclamped wait without panicking on the instant's range.
        let pacer = Pacer::new(2);
        pacer.throttled(Some(Duration::MAX));
        let until = lock(&pacer.state).paused_until.expect("paused");
        assert!(until <= Instant::now() + RETRY_AFTER_CAP);
    }

    fn cloud() -> Cloud {
        Cloud::custom("https://127.0.0.1:8443").expect("valid")
    }

    #[test]
    fn a_next_link_to_another_host_scheme_or_port_is_never_followed() {
        let cloud = cloud();
        let first = cloud.graph_url("users?$top=5");
        for foreign in [
            "https://attacker.test/graph/v1.0/users?$skiptoken=x",
            "http://127.0.0.1:8443/graph/v1.0/users?$skiptoken=x",
            "https://127.0.0.1:9999/graph/v1.0/users?$skiptoken=x",
            "https://127.0.0.1:8443/arm/subscriptions?$skiptoken=x",
            "https://127.0.0.1:8443.attacker.test/graph/v1.0/users",
            "/graph/v1.0/users?$skiptoken=relative",
        ] {
            let err = Paging::new(&cloud, &first).follow(foreign.into()).expect_err(foreign);
            assert_eq!(err.code(), "pagingStopped", "{foreign}");
        }
        let own = "https://127.0.0.1:8443/graph/v1.0/users?$top=5&$skiptoken=a".to_string();
        assert_eq!(Paging::new(&cloud, &first).follow(own.clone()).expect("own host"), own);
        // National clouds: HTTPS only, and only their own Graph host.
        let public = Cloud::public();
        let first = public.graph_url("users");
        let mut paging = Paging::new(&public, &first);
        assert!(
            paging.follow("http://graph.microsoft.com/v1.0/users?$skiptoken=a".into()).is_err()
        );
        assert!(
            paging.follow("https://graph.microsoft.us/v1.0/users?$skiptoken=a".into()).is_err()
        );
        assert!(
            paging.follow("https://graph.microsoft.com/v1.0/users?$skiptoken=a".into()).is_ok()
        );
        // ARM's nextLink stays on ARM.
        let arm = public.arm_url("subscriptions?api-version=2022-12-01");
        let mut paging = Paging::new(&public, &arm);
        assert!(paging.follow("https://graph.microsoft.com/v1.0/users".into()).is_err());
        assert!(
            paging.follow("https://management.azure.com/subscriptions?$skiptoken=b".into()).is_ok()
        );
    }

    #[test]
    fn a_next_link_that_repeats_or_never_ends_stops_the_paging_with_an_error() {
        let cloud = cloud();
        let first = cloud.graph_url("groups");
        let mut paging = Paging::new(&cloud, &first);
        let err = paging.follow(first.clone()).expect_err("the first page again");
        assert!(err.to_string().contains("already followed"), "{err}");
        let link = |n: usize| cloud.graph_url(&format!("groups?$skiptoken={n}"));
        let mut paging = Paging::new(&cloud, &first);
        paging.follow(link(1)).expect("a new page");
        paging.follow(link(2)).expect("a new page");
        assert!(paging.follow(link(1)).is_err(), "a cycle of two pages");
        let mut paging = Paging::new(&cloud, &first);
        let mut stopped = None;
        for n in 0..=PAGE_CAP + 1 {
            if let Err(err) = paging.follow(link(n)) {
                stopped = Some((n, err));
                break;
            }
        }
        let (at, err) = stopped.expect("the cap stops an endless collection");
        assert_eq!(at, PAGE_CAP - 1, "{err}");
        assert!(err.to_string().contains("pages without ending"), "{err}");
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
