//! The running server: shared state, the router of all surfaces, TLS, the auth and mutation-log layers.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::faults::{self, Faults};
use crate::http::{self, ApiError, Surface};
use crate::login::AuthState;
use crate::rng::Rng;
use crate::store::Store;
use crate::token::{self, Caller, Keys};
use crate::{Error, MutationRecord, Options, RequestRecord, Tenant, admin, arm, graph, login};

pub(crate) struct AppState {
    pub store: RwLock<Store>,
    pub keys: Keys,
    pub base_url: String,
    pub page_size: usize,
    pub faults: Mutex<Faults>,
    pub fault_rng: Mutex<Rng>,
    pub request_counter: AtomicU64,
    /// `$batch` steps seen, counted apart from requests: see `faults::batch_step`.
    pub step_counter: AtomicU64,
    pub log: Mutex<Vec<MutationRecord>>,
    /// Every Graph and ARM request, `$batch` steps included, in the order received.
    pub requests: Mutex<Vec<RequestRecord>>,
    /// `$batch` requests answered, to seed each one's shuffle.
    pub batches: AtomicU64,
    pub auth: Mutex<AuthState>,
    /// The Graph router without the outer layers, for dispatching `$batch` inner requests.
    pub graph_inner: OnceLock<Router>,
    /// `Options::state_file`, with the lock that keeps its writes in order.
    pub state_file: Option<(std::path::PathBuf, Mutex<()>)>,
    /// Access reviews and sent mail (not part of a `Tenant`, so not kept in `state_file`).
    pub reviews: Mutex<crate::reviews::Reviews>,
}

impl AppState {
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        // A poisoned lock only means a handler panicked mid-read; the data is still consistent.
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }
    /// Taken after `read()` where both are needed, never before it.
    pub(crate) fn reviews(&self) -> std::sync::MutexGuard<'_, crate::reviews::Reviews> {
        self.reviews.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) struct Running {
    pub state: Arc<AppState>,
    pub handle: axum_server::Handle<SocketAddr>,
    pub task: tokio::task::JoinHandle<()>,
    pub cert_der: Option<Vec<u8>>,
}

pub(crate) async fn start(tenant: Tenant, options: Options) -> Result<Running, Error> {
    let std_listener =
        std::net::TcpListener::bind(("127.0.0.1", options.port)).map_err(Error::Bind)?;
    // tokio panics on a blocking socket handed over from std.
    std_listener.set_nonblocking(true).map_err(Error::Bind)?;
    let addr = std_listener.local_addr().map_err(Error::Bind)?;
    let scheme = if options.tls { "https" } else { "http" };
    let base_url = format!("{scheme}://127.0.0.1:{}", addr.port());

    let mut faults = options.faults.clone();
    if !options.latency.is_zero() {
        faults.latency_ms = options.latency.as_millis() as u64;
    }
    faults.validate().map_err(Error::Options)?;
    let state = Arc::new(AppState {
        store: RwLock::new(Store::new(&tenant)),
        keys: Keys::generate().map_err(Error::Crypto)?,
        base_url,
        page_size: options.page_size.max(1),
        fault_rng: Mutex::new(Rng::new(faults.seed)),
        faults: Mutex::new(faults),
        request_counter: AtomicU64::new(0),
        step_counter: AtomicU64::new(0),
        log: Mutex::new(Vec::new()),
        requests: Mutex::new(Vec::new()),
        batches: AtomicU64::new(0),
        auth: Mutex::new(AuthState::default()),
        graph_inner: OnceLock::new(),
        state_file: options.state_file.clone().map(|path| (path, Mutex::new(()))),
        reviews: Mutex::new(crate::reviews::Reviews::default()),
    });

    let graph_base = graph::router(state.clone());
    // `$batch` steps get the envelope and the mutation log but not the fault layer: the batch
    // handler decides each step's fault itself (429 or 5xx per step, with `Retry-After` in the
    // step's headers, while the batch answers 200), as Graph throttles steps one by one.
    let batch_inner = graph_base
        .clone()
        .layer(middleware::from_fn(|req, next| http::envelope(Surface::Graph, req, next)))
        .layer(middleware::from_fn_with_state(state.clone(), log_mutations))
        .layer(middleware::from_fn_with_state(state.clone(), log_batch_steps));
    let _ = state.graph_inner.set(batch_inner);
    let graph = surface(graph_base, Surface::Graph, &state);
    let arm = surface(arm::router(state.clone()), Surface::Arm, &state);
    let app = Router::new()
        .nest("/graph", graph)
        .nest("/arm", arm)
        .nest("/login", login::router(state.clone()))
        // Also at the root: azure_identity joins an absolute `/{tenant}/oauth2/v2.0/token` onto
        // the authority host, dropping any path the authority had, as login.microsoftonline.com
        // serves it.
        .merge(login::router(state.clone()))
        .nest("/_admin", admin::router(state.clone()));

    let handle = axum_server::Handle::new();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let (task, cert_der) = if options.tls {
        let cert = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .map_err(|e| Error::Crypto(format!("certificate: {e}")))?;
        let der = cert.cert.der().to_vec();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
        // An explicit provider: the process may have more than one compiled in.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(|e| Error::Crypto(format!("tls: {e}")))?
            .with_no_client_auth()
            .with_single_cert(vec![der.clone().into()], key)
            .map_err(|e| Error::Crypto(format!("tls: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
        // A client may open a connection and only get round to finishing its TLS handshake
        // minutes later (an SDK whose one thread is busy parsing large pages); axum-server's
        // default of 10 s reset such connections. A test double should not cut a slow client off.
        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
            .handshake_timeout(std::time::Duration::from_secs(600));
        let server = axum_server::from_tcp(std_listener)
            .map_err(Error::Bind)?
            .acceptor(acceptor)
            .handle(handle.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!("emulator server stopped: {e}");
            }
        });
        (task, Some(der))
    } else {
        let server =
            axum_server::from_tcp(std_listener).map_err(Error::Bind)?.handle(handle.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!("emulator server stopped: {e}");
            }
        });
        (task, None)
    };
    // Wait until the socket is served so the first request cannot race the spawn.
    let _ = handle.listening().await;
    Ok(Running { state, handle, task, cert_der })
}

/// Wraps a surface router with (outer to inner) the mutation log, the error envelope and faults.
fn surface(inner: Router, surface: Surface, state: &Arc<AppState>) -> Router {
    inner
        .layer(middleware::from_fn_with_state(state.clone(), faults::layer))
        .layer(middleware::from_fn(move |req, next| http::envelope(surface, req, next)))
        .layer(middleware::from_fn_with_state(state.clone(), log_mutations))
        .layer(middleware::from_fn_with_state(state.clone(), log_requests))
}

/// Records every request (method, path and query as received, status) for tests to check
/// against the documentation.
pub(crate) async fn log_requests(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    record_request(&state, req, next, false).await
}

/// The same for one step of a `$batch`, whose URL is relative to Graph's version root.
pub(crate) async fn log_batch_steps(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    record_request(&state, req, next, true).await
}

async fn record_request(state: &AppState, req: Request, next: Next, batch_step: bool) -> Response {
    let method = req.method().to_string();
    let uri = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| req.uri().clone());
    let mut path = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
    if batch_step {
        path = format!("/graph{path}");
    }
    let resp = next.run(req).await;
    let record = RequestRecord { method, path, batch_step, status: resp.status().as_u16() };
    if let Ok(mut log) = state.requests.lock() {
        log.push(record);
    }
    resp
}

/// Records every mutating request (method, path, body, status) for tests to read.
pub(crate) async fn log_mutations(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::bad_request(
                "BadRequest",
                "The request body is too large or unreadable.",
            )
            .into_response();
        }
    };
    // Nested routers see the path without their prefix; the log keeps the path as received.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let path = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let caller = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| state.keys.verify(t).ok())
        .map(|c| c.claims.get("oid").and_then(Value::as_str).unwrap_or_default().to_string());
    let body_json = serde_json::from_slice::<Value>(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    let req = Request::from_parts(parts, axum::body::Body::from(bytes));
    let resp = next.run(req).await;
    let record = MutationRecord {
        at: chrono::Utc::now(),
        method: method.to_string(),
        path,
        body: body_json,
        status: resp.status().as_u16(),
        caller,
    };
    let changed = record.status < 300 && record.path.contains("ScheduleRequests");
    if let Ok(mut log) = state.log.lock() {
        log.push(record);
    }
    if changed && state.state_file.is_some() {
        let keeping = state.clone();
        match tokio::task::spawn_blocking(move || save_state(&keeping)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!("the tenant's state was not saved: {err}"),
            Err(err) => tracing::error!("the tenant's state was not saved: {err}"),
        }
    }
    resp
}

/// Writes the tenant as it is now to `state_file`, whole: a new file renamed over the old, so
/// a process killed mid-write leaves the previous state, never half of one. The lock is taken
/// before the tenant is read, so a later change is never overwritten by an earlier one.
fn save_state(state: &AppState) -> Result<(), String> {
    let Some((path, order)) = &state.state_file else { return Ok(()) };
    let _in_order = order.lock().unwrap_or_else(|p| p.into_inner());
    let json = crate::fixture::to_json(&state.read().to_tenant());
    let bytes = serde_json::to_vec(&json).map_err(|err| err.to_string())?;
    let mut next = path.clone().into_os_string();
    next.push(".next");
    let next = std::path::PathBuf::from(next);
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&next)
            .map_err(|err| format!("cannot write {}: {err}", next.display()))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|err| format!("cannot write {}: {err}", next.display()))?;
    }
    std::fs::rename(&next, path).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

/// Reads and checks the bearer token for a resource; `Err` is the 401 to return.
pub(crate) fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    audiences: &[&str],
) -> Result<Caller, ApiError> {
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::unauthorized("Access token is empty."));
    };
    let Some(tok) = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")) else {
        return Err(ApiError::unauthorized("Access token is empty."));
    };
    let caller = state.keys.verify(tok.trim()).map_err(ApiError::unauthorized)?;
    let claims = &caller.claims;
    let aud = claims.get("aud").and_then(Value::as_str).unwrap_or_default();
    if !audiences.iter().any(|a| a.eq_ignore_ascii_case(aud.trim_end_matches('/'))) {
        return Err(ApiError::unauthorized("Access token validation failure. Invalid audience."));
    }
    let tid = claims.get("tid").and_then(Value::as_str).unwrap_or_default();
    if !tid.eq_ignore_ascii_case(&state.read().tenant_id) {
        return Err(ApiError::unauthorized("Access token validation failure. Invalid tenant."));
    }
    Ok(caller)
}

pub(crate) async fn graph_auth(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    match authenticate(&state, req.headers(), &[token::GRAPH_AUDIENCE, token::GRAPH_APP_ID]) {
        Ok(c) => {
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn arm_auth(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    match authenticate(&state, req.headers(), &[token::ARM_AUDIENCE]) {
        Ok(c) => {
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Err(mut e) => {
            // ARM's wording for the same failure.
            e.code = "InvalidAuthenticationToken".into();
            e.into_response()
        }
    }
}
